import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { ReplicaHandler } from '../../src/server/index.js'
import { compress, MIN_COMPRESSED_BYTES, pickEncoding } from './compression'

/**
 * Serves the replica endpoints through the handler's Fetch face, so that its JSON answers can be
 * compressed here (pages of rows shrink several times); the live channel's event stream is
 * passed on as it comes. Any path under the base the handler does not know gets its 404 JSON.
 *
 * @example http.createServer((req, res) => serveReplica(replica, req, res))
 */
export async function serveReplica(replica: ReplicaHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let request: Request
  try {
    request = toFetchRequest(req)
  } catch {
    res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' }).end('{"error":{"code":"bad_request","message":"malformed request"}}')
    return
  }
  const response = await replica.fetch(request)
  const headers = Object.fromEntries(response.headers)
  if ((headers['content-type'] ?? '').startsWith('text/event-stream') && response.body) {
    res.writeHead(response.status, headers)
    res.flushHeaders()
    const stream = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
    res.on('close', () => stream.destroy())
    stream.pipe(res)
    return
  }
  let body: Buffer = Buffer.from(await response.arrayBuffer())
  const encoding = pickEncoding(req.headers['accept-encoding'])
  if (encoding && body.length >= MIN_COMPRESSED_BYTES && (headers['content-type'] ?? '').startsWith('application/json')) {
    body = await compress(body, encoding, 'fast')
    headers['content-encoding'] = encoding
    headers.vary = headers.vary ? `${headers.vary}, accept-encoding` : 'accept-encoding'
    // The handler's tag names the uncompressed bytes: the compressed ones are only its equivalent.
    if (headers.etag && !headers.etag.startsWith('W/')) headers.etag = `W/${headers.etag}`
  }
  headers['content-length'] = String(body.length)
  res.writeHead(response.status, headers)
  res.end(req.method === 'HEAD' ? undefined : body)
}

/** The node request as a Fetch request; its body (a push) is streamed, not read first. */
function toFetchRequest(req: IncomingMessage): Request {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`)
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  return new Request(url, {
    method: req.method ?? 'GET',
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit)
}
