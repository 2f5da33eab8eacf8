import { ReplicaError, badRequest, tooLarge } from './errors.js'
import type { ReplicaRequest } from './context.js'

/**
 * Reads the request body up to `limit` bytes: from a Fetch `Request`, a node `IncomingMessage`, or
 * a body a framework has already read (`raw.body`). Over the limit: `413 too_large`.
 */
export async function readBody(request: ReplicaRequest, limit: number): Promise<string> {
  const raw = request.raw as { body?: unknown; on?: unknown; text?: unknown } | null | undefined
  const over = () => tooLarge(413, `request body over ${limit} bytes`)
  if (typeof Request !== 'undefined' && raw instanceof Request) {
    if (!raw.body) return ''
    return readChunks(raw.body as unknown as AsyncIterable<Uint8Array>, limit, over)
  }
  if (raw && typeof raw.on === 'function' && typeof (raw as unknown as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    // Already read by a body parser (Express's express.json(), for one)?
    if (raw.body !== undefined) return fromParsed(raw.body, limit, over)
    return readChunks(raw as unknown as AsyncIterable<Uint8Array>, limit, over)
  }
  if (raw && raw.body !== undefined) return fromParsed(raw.body, limit, over)
  throw badRequest('the request body could not be read')
}

async function readChunks(stream: AsyncIterable<Uint8Array | string>, limit: number, over: () => Error): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of stream) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      size += buffer.length
      if (size > limit) throw over()
      chunks.push(buffer)
    }
  } catch (error) {
    if (error instanceof ReplicaError) throw error
    // The client went away mid-body (an aborted request): its fault, not ours, and nobody is left
    // to read the answer. A 400, never logged as an unexpected error.
    throw badRequest('the request body ended before it was complete')
  }
  return Buffer.concat(chunks).toString('utf8')
}

function fromParsed(body: unknown, limit: number, over: () => Error): string {
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body ?? null)
  if (Buffer.byteLength(text) > limit) throw over()
  return text
}
