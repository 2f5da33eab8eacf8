import http from 'node:http'
import type { ReplicaHandler } from './handler.js'

/**
 * A node:http server around a handler. Node's HTTP parser answers an over-long request line with
 * a bare `431` before any handler runs; this server raises the parser's limit above the handler's
 * `maxQueryLength` (so the handler answers `414` itself) and turns whatever the parser still
 * refuses into a JSON error too. Its `close()` also ends the handler's live connections.
 *
 * @example
 * const server = createReplicaServer(replica)
 * server.listen(3000)
 * @example
 * // Other routes first, the replica handler last:
 * createReplicaServer(replica, { fallback: (req, res) => res.writeHead(404).end() })
 */
export function createReplicaServer(
  handler: ReplicaHandler,
  options: { fallback?: http.RequestListener; maxHeaderSize?: number } = {},
): http.Server {
  const fallback = options.fallback
  const server = http.createServer(
    { maxHeaderSize: options.maxHeaderSize ?? handler.limits.maxQueryLength + 16384 },
    (req, res) => handler.node(req, res, fallback ? () => fallback(req, res) : undefined),
  )
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') return socket.destroy()
    const overflow = err.code === 'HPE_HEADER_OVERFLOW'
    const [status, reason] = overflow ? [414, 'URI Too Long'] : [400, 'Bad Request']
    const body = JSON.stringify({
      error: overflow ? { code: 'too_large', message: 'request target or headers too large' } : { code: 'bad_request', message: 'malformed HTTP request' },
    })
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  })
  // Live connections never go idle, so server.close() would wait for them forever: end them too.
  const close = server.close.bind(server)
  server.close = ((callback?: (err?: Error) => void) => {
    void handler.close()
    return close(callback)
  }) as typeof server.close
  return server
}
