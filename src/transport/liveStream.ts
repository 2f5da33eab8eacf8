import type { JsonPrimitive } from '../core/protocol'
import type { LivePoke, LiveRequest } from '../core/pullWire'
import { fetchOrThrow, httpError, malformed } from './validateRow'

/** Longest event we buffer; a server sending more without a blank line is not ours. */
const MAX_EVENT_CHARS = 65_536

/**
 * The client's end of the live channel (docs/protocol.md, "Live channel"): Server-Sent Events
 * read over fetch's streaming body (not `EventSource`, which cannot send our headers and
 * reconnects on its own terms). Resolves when the server ends the stream; rejects with a
 * `ReplicaError` for an HTTP error or a stream that is not ours; rejects with the abort reason
 * when `signal` aborts.
 */
export async function readLiveChannel(
  fetchImpl: typeof fetch,
  url: string,
  headers: Record<string, string> | undefined,
  request: LiveRequest,
): Promise<void> {
  const response = await fetchOrThrow(fetchImpl, url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: request.signal,
    cache: 'no-store',
  })
  if (!response.ok) throw await httpError(response)
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || !response.body) {
    await response.body?.cancel().catch(() => {})
    throw malformed('the live channel did not answer with an event stream')
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      buffer += value.replace(/\r\n?/g, '\n')
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatchEvent(buffer.slice(0, end), request)
        buffer = buffer.slice(end + 2)
      }
      if (buffer.length > MAX_EVENT_CHARS) throw malformed('a live event is too long')
    }
  } finally {
    reader.cancel().catch(() => {})
  }
}

/** One event block: `event:` names it, `data:` lines carry JSON; comments (heartbeats) start with `:`. */
function dispatchEvent(block: string, request: LiveRequest): void {
  let name = 'message'
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') name = value
    else if (field === 'data') data.push(value)
  }
  if (name === 'ready') request.onOpen()
  else if (name === 'poke') request.onPoke(parsePoke(data.join('\n')))
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isPrimitive = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v)

/** A poke, validated whole; a `where` entry that is not a map of value lists is dropped (the collection then counts as changed anywhere). */
function parsePoke(text: string): LivePoke {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw malformed('a poke is not JSON')
  }
  const collections = isPlainObject(body) ? body.collections : undefined
  if (!Array.isArray(collections) || !collections.every((c) => typeof c === 'string')) throw malformed('a poke has no list of collections')
  const where: Record<string, Record<string, JsonPrimitive[]>> = {}
  const given = (body as { where?: unknown }).where
  if (isPlainObject(given)) {
    for (const collection of collections) {
      const fields = given[collection]
      if (!isPlainObject(fields)) continue
      const entries = Object.entries(fields)
      if (entries.every(([, values]) => Array.isArray(values) && values.every(isPrimitive))) where[collection] = fields as Record<string, JsonPrimitive[]>
    }
  }
  return Object.keys(where).length ? { collections, where } : { collections }
}
