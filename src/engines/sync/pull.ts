import type { Filter } from '../../core/protocol'
import type { AppliedPage, LocalStore } from '../../store/localStore'
import { sameCheckpoint, watchCursor } from '../../transport/stalledCursor'
import type { PullResult, Transport } from '../../core/pullWire'

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

/** How a pull to the end of the server's data ended: whether the server held changes back. */
export interface CaughtUp {
  heldBack: boolean
}

/**
 * Pulls pages after the subscription's stored checkpoint until the server has no more. Each page
 * is validated by the transport, then written with its checkpoint in one step; a page that arrives
 * after the signal aborted is dropped unwritten. Throws what the transport throws, and
 * `cursor_stalled` when the server's cursor stops moving (./stalledCursor.ts).
 */
export async function pullUntilCaughtUp(options: PullOptions): Promise<CaughtUp> {
  const { transport, store, key, collection, filter, primaryKey, pageSize, signal } = options
  const cursor = watchCursor()
  for (;;) {
    const checkpoint = store.subscription(key)?.checkpoint ?? null
    const page = await transport.pull({ collection, filter, checkpoint, limit: pageSize, primaryKey, signal })
    signal.throwIfAborted()
    cursor.check(checkpoint, page)
    // Some servers answer an empty page with a null cursor: that means "nothing new", not "start over".
    const next = page.changes.length === 0 && page.checkpoint === null ? checkpoint : page.checkpoint
    // An idle poll changes nothing: no write (so no save) and no dispatch (so no re-render).
    if (page.changes.length > 0 || !sameCheckpoint(next, checkpoint)) {
      const applied = store.applyPage({ subscription: { key, collection, filter }, changes: page.changes, checkpoint: next })
      options.onPage(applied, page)
    }
    if (!page.hasMore) {
      if (page.heldBack) return { heldBack: true }
      const swept = store.caughtUp({ key, collection, filter })
      if (swept.removed.length > 0) options.onPage(swept, { changes: [], checkpoint: next, hasMore: false })
      return { heldBack: false }
    }
  }
}
