import { filePersistence, httpTransport } from '../../src'
import { replicaStore } from '../lib/replicaStore'

/**
 * Reopening: a fresh process creates the store over the file a sync left behind and waits for
 * whenHydrated() (file read, Loki load, every row into Redux). The transport is never called.
 */
export async function hydrate(url: string, file: string): Promise<{ ms: number; rows: number }> {
  const start = performance.now()
  const { store, replica } = replicaStore(httpTransport({ url: `${url}/replica` }), { persistence: filePersistence(file) })
  await store.replica.whenHydrated()
  const ms = performance.now() - start
  const rows = replica.selectors.note.selectTotal(store.getState())
  await store.replica.close()
  return { ms, rows }
}
