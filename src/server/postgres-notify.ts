import type { Pool, PoolClient } from 'pg'
import type { JsonPrimitive } from '../core/protocol.js'
import type { TableChanges } from './types.js'

type Image = Record<string, JsonPrimitive>

/**
 * The NOTIFY channel of every replicated table. The version trigger sends `[schema, table]` on it
 * (docs/server.md, "Live pokes"); PostgreSQL delivers a notification at commit, drops those of a
 * transaction rolled back, and folds identical ones of one transaction into one, so a transaction
 * that writes 1,000 rows of a table sends a single notification.
 */
export const NOTIFY_CHANNEL = 'redux_replica'

/** Payloads over this many bytes go without the row's values (NOTIFY refuses 8,000 and more). */
const MAX_PAYLOAD_BYTES = 7000

/**
 * The trigger's statements (postgres-schema.ts), in a function that declares `p text`:
 * `[schema, table, new, old]`, where new and old hold the row's tracked fields after and before
 * the write (null for an insert's old, a delete's new), so an instance can tell which callers'
 * scopes a write touches. Without tracked fields, or when the values are too long, just
 * `[schema, table]`: every caller of the collection is poked.
 */
export function notifySql(tracked: readonly string[]): string {
  const q = (id: string) => `"${id.replaceAll('"', '""')}"`
  const lit = (s: string) => `'${s.replaceAll("'", "''")}'`
  const bare = `json_build_array(TG_TABLE_SCHEMA, TG_TABLE_NAME)::text`
  if (tracked.length === 0 || tracked.length > 50) return `PERFORM pg_notify('${NOTIFY_CHANNEL}', ${bare});`
  const image = (rec: 'NEW' | 'OLD') => `json_build_object(${tracked.map((f) => `${lit(f)}, ${rec}.${q(f)}`).join(', ')})`
  return `p := json_build_array(TG_TABLE_SCHEMA, TG_TABLE_NAME,
    CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE ${image('NEW')} END,
    CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE ${image('OLD')} END)::text;
  IF octet_length(p) > ${MAX_PAYLOAD_BYTES} THEN p := ${bare}; END IF;
  PERFORM pg_notify('${NOTIFY_CHANNEL}', p);`
}

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
          const [s, table, after, before] = JSON.parse(message.payload) as [string, string, Image | null | undefined, Image | null | undefined]
          if (s !== ours || typeof table !== 'string') return
          const images = [after, before].filter((i): i is Image => typeof i === 'object' && i !== null)
          onChange([after === undefined ? { table } : { table, images }])
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
