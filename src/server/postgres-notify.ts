import type { Pool, PoolClient } from 'pg'
import type { TableChanges } from './types.js'

/**
 * The NOTIFY channel of every replicated table. The version trigger sends `[schema, table]` on it
 * (docs/server.md, "Live pokes"); PostgreSQL delivers a notification at commit, drops those of a
 * transaction rolled back, and folds identical ones of one transaction into one, so a transaction
 * that writes 1,000 rows of a table sends a single notification.
 */
export const NOTIFY_CHANNEL = 'redux_replica'

/** The trigger's statement, shared by the install (postgres-schema.ts). */
export const notifySql = `PERFORM pg_notify('${NOTIFY_CHANNEL}', json_build_array(TG_TABLE_SCHEMA, TG_TABLE_NAME)::text);`

const MAX_RECONNECT_DELAY_MS = 5_000

/**
 * LISTEN on one connection of `pool` for as long as it runs, and report this schema's tables.
 * The connection is reopened after any failure (backoff with jitter, up to 5 s); since
 * notifications sent meanwhile are lost, a reconnect reports `'all'`.
 */
export function listenForChanges(
  pool: Pool,
  schema: string | undefined,
  onChange: (tables: TableChanges) => void,
  onError: (error: unknown) => void,
): () => Promise<void> {
  let client: PoolClient | undefined
  let stopped = false
  let failures = 0
  let retry: ReturnType<typeof setTimeout> | undefined

  const drop = (error: unknown) => {
    const c = client
    client = undefined
    if (c) {
      c.removeAllListeners('notification')
      c.release(error instanceof Error ? error : true)
    }
    if (stopped) return
    onError(error)
    const delay = Math.random() * Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** failures++)
    retry = setTimeout(() => void connect(true), delay)
  }

  async function connect(again: boolean) {
    retry = undefined
    let c: PoolClient | undefined
    try {
      c = await pool.connect()
      if (stopped) return c.release()
      client = c
      c.on('error', drop)
      const ours = schema ?? ((await c.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public')
      c.on('notification', (message) => {
        if (message.channel !== NOTIFY_CHANNEL || !message.payload) return
        try {
          const [s, table] = JSON.parse(message.payload) as [string, string]
          if (s === ours && typeof table === 'string') onChange([table])
        } catch {
          // Someone else's payload on our channel name: not ours to read.
        }
      })
      await c.query(`LISTEN ${NOTIFY_CHANNEL}`)
      failures = 0
      if (again) onChange('all')
    } catch (error) {
      // pool.connect() failed (c undefined) or the connection did: either way, try again later.
      if (client === c) drop(error)
    }
  }

  void connect(false)
  return async () => {
    stopped = true
    if (retry !== undefined) clearTimeout(retry)
    const c = client
    client = undefined
    if (!c) return
    c.removeAllListeners('notification')
    try {
      await c.query(`UNLISTEN ${NOTIFY_CHANNEL}`)
      c.release()
    } catch {
      c.release(true)
    }
  }
}
