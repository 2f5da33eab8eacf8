import { ReplicaError } from '../errors'
import type { Filter } from '../protocol'
import type { AppliedPage, LocalStore } from '../store/localStore'
import type { PullResult, Transport } from './transport'

export interface PullOptions {
  transport: Transport
  store: LocalStore
  /** The subscription's identity and scope. */
  key: string
  collection: string
  filter: Filter
  primaryKey: string
  pageSize: number
  signal: AbortSignal
  /** Called after each page is in the local store, to tell Redux (one dispatch per page). */
  onPage(applied: AppliedPage, page: PullResult): void
}

/**
 * Pulls pages after the subscription's stored checkpoint until the server has no more. Each page
 * is validated by the transport, then written with its checkpoint in one step; a page that arrives
 * after the signal aborted is dropped unwritten. Throws what the transport throws.
 */
export async function pullUntilCaughtUp(options: PullOptions): Promise<void> {
  const { transport, store, key, collection, filter, primaryKey, pageSize, signal } = options
  for (;;) {
    const checkpoint = store.subscription(key)?.checkpoint ?? null
    const page = await transport.pull({ collection, filter, checkpoint, limit: pageSize, primaryKey, signal })
    signal.throwIfAborted()
    if (page.hasMore && page.changes.length === 0) {
      // Asking again with the same checkpoint would loop forever.
      throw new ReplicaError('malformed_page', 'Malformed page: the server said more rows remain but sent none')
    }
    const applied = store.applyPage({ subscription: { key, collection, filter }, changes: page.changes, checkpoint: page.checkpoint })
    options.onPage(applied, page)
    if (!page.hasMore) return
  }
}
