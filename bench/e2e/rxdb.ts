import { createRxDatabase } from 'rxdb/plugins/core'
import { replicateRxCollection } from 'rxdb/plugins/replication'
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory'
import type { PullResponseBody } from '../../src/core/protocol'
import { PAGE, pullUrl } from './http'

/**
 * RxDB (current release, memory storage, no dev-mode, no schema validator) replicating the same
 * endpoint with a pull handler: RxDB's own checkpoint loop, our server's opaque cursor as its
 * checkpoint. RxDB reserves `_`-prefixed fields and wants a string primary key, so the handler
 * maps rows (`id` as a string, `_version` as `version`, tombstones as `_deleted`).
 */
export async function rxdb(url: string): Promise<{ ms: number; rows: number }> {
  const db = await createRxDatabase({ name: `bench${process.pid}`, storage: getRxStorageMemory(), multiInstance: false, eventReduce: true })
  const { note } = await db.addCollections({
    note: {
      schema: {
        version: 0,
        primaryKey: 'id',
        type: 'object',
        properties: {
          id: { type: 'string', maxLength: 20 },
          project_id: { type: 'number' },
          contact_id: { type: 'number' },
          body: { type: 'string' },
          created_at: { type: 'string' },
          updated_at: { type: 'string' },
          version: { type: 'number' },
        },
        required: ['id'],
      },
    },
  })
  const start = performance.now()
  const replication = replicateRxCollection({
    collection: note,
    replicationIdentifier: `bench-pull-${url}`,
    live: false,
    pull: {
      batchSize: PAGE,
      async handler(checkpoint: { cursor: string } | undefined) {
        const body = JSON.parse(await (await fetch(pullUrl(url, checkpoint?.cursor))).text()) as PullResponseBody
        const documents = body.rows.map(({ _version, _deleted, id, ...row }) => ({ ...row, id: String(id), version: _version, _deleted: _deleted === true }))
        return { documents, checkpoint: body.cursor ? { cursor: body.cursor } : checkpoint }
      },
    },
  })
  let failure: unknown
  replication.error$.subscribe((error) => (failure = error))
  await replication.awaitInitialReplication()
  const ms = performance.now() - start
  if (failure) throw failure
  const rows = await note.count().exec()
  await replication.cancel()
  await db.close()
  return { ms, rows }
}
