import type { PullResponseBody } from '../../src/core/protocol'
import { pullUrl } from './http'

export interface FloorResult {
  ms: number
  rows: number
  /** Bytes of all response bodies (UTF-8 text as received). */
  bodyBytes: number
}

/**
 * The floor: what any client must pay to get the rows from this server: fetch every page (the
 * global fetch, as httpTransport uses) and JSON.parse it. Nothing is validated or stored.
 */
export async function floor(url: string): Promise<FloorResult> {
  const start = performance.now()
  let cursor: string | null = null
  let rows = 0
  let bodyBytes = 0
  for (;;) {
    const text = await (await fetch(pullUrl(url, cursor))).text()
    bodyBytes += Buffer.byteLength(text)
    const body = JSON.parse(text) as PullResponseBody
    rows += body.rows.length
    cursor = body.cursor
    if (!body.hasMore) break
  }
  return { ms: performance.now() - start, rows, bodyBytes }
}
