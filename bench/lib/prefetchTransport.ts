import type { Transport } from '../../src'
import type { PullRequest, PullResult } from '../../src/protocol'

/**
 * An experiment, not a feature: wraps a transport so that, when a page says more rows remain, the
 * next page is requested at once, while the engine is still writing this one to Loki and Redux.
 * The engine's next pull (same collection and filter, that checkpoint) takes the answer already on
 * its way. It measures what pipelining the pull loop (src/engines/sync/pull.ts) would save: the client's
 * per-page work then overlaps the server's and the network's instead of adding to them.
 */
export function prefetchTransport(inner: Transport): Transport {
  let ahead: { key: string; page: Promise<PullResult> } | undefined
  const keyOf = (r: Pick<PullRequest, 'collection' | 'filter' | 'checkpoint' | 'limit'>) => JSON.stringify([r.collection, r.filter, r.checkpoint, r.limit])
  return {
    async pull(request) {
      const key = keyOf(request)
      const page = ahead?.key === key ? ahead.page : inner.pull(request)
      ahead = undefined
      const result = await page
      if (result.hasMore && result.changes.length > 0) {
        const next = { ...request, checkpoint: result.checkpoint }
        const promise = inner.pull(next)
        promise.catch(() => {}) // a failed prefetch is reported when (if) it is taken
        ahead = { key: keyOf(next), page: promise }
      }
      return result
    },
  }
}
