import { parsePullBody } from '../../src/transport/httpTransport'
import type { Change, PullRequest, PullResult, Transport } from '../../src/core/pullWire'
import type { PullResponseBody, WireRow } from '../../src/core/protocol'

export interface MemoryTransportOptions {
  /** Serve each page as JSON text and parse it back through the HTTP transport's own validator. */
  json?: boolean
  /** Told when a pull starts and when its page is handed to the engine (for per-page timing). */
  onPullStart?: () => void
  onPullEnd?: (rows: number) => void
}

/**
 * A `Transport` serving pages from an in-memory array: the server and the network taken out, so
 * what is left is the client (transport validation, Loki, Redux). The checkpoint is the offset.
 */
export function memoryTransport(rows: readonly WireRow[], options: MemoryTransportOptions = {}): Transport {
  return {
    async pull(request: PullRequest): Promise<PullResult> {
      options.onPullStart?.()
      const from = typeof request.checkpoint === 'number' ? request.checkpoint : 0
      const page = rows.slice(from, from + request.limit)
      const to = from + page.length
      let result: PullResult
      if (options.json) {
        const body: PullResponseBody = { rows: page, cursor: String(to), hasMore: to < rows.length, remaining: rows.length - to }
        result = parsePullBody(JSON.parse(JSON.stringify(body)), request.primaryKey)
        result.checkpoint = to
      } else {
        const changes: Change[] = page.map((row) => ({ key: row.id as number, version: row._version, deleted: false, row }))
        result = { changes, checkpoint: to, hasMore: to < rows.length, remaining: rows.length - to }
      }
      options.onPullEnd?.(page.length)
      return result
    },
  }
}
