import type { IncomingMessage, ServerResponse } from 'node:http'
import { errorAnswer } from './answers.js'
import type { ReplicaAnswer, ReplicaRequest } from './context.js'
import { streamToNode, streamToResponse, type LiveStream } from './live-channel.js'

type Handle = (request: ReplicaRequest) => Promise<ReplicaAnswer | null>
interface AdapterOptions {
  maxQueryLength: number
  notFound(): ReplicaAnswer
  targetTooLong(): ReplicaAnswer
  /** A streaming route (the live channel): its path, and how a request opens it. */
  stream?: { path: string; open(request: ReplicaRequest): Promise<ReplicaAnswer | LiveStream> }
}

function send(res: ServerResponse, a: ReplicaAnswer) {
  res.writeHead(a.status, { ...a.headers, 'content-length': Buffer.byteLength(a.body) })
  res.end(a.body)
}

/** The handler as node:http middleware: too long a target is refused before it is parsed. */
export function nodeAdapter(
  handle: Handle,
  { maxQueryLength, onError, notFound, targetTooLong, stream }: AdapterOptions & { onError(e: unknown): void },
): (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void {
  return (req, res, next) => {
    const target = req.url ?? '/'
    if (target.length > maxQueryLength) return send(res, targetTooLong())
    let url: URL
    try {
      url = new URL(target, 'http://localhost')
    } catch {
      return send(res, errorAnswer(400, { error: { code: 'bad_request', message: 'malformed request target' } }))
    }
    const request: ReplicaRequest = {
      method: req.method ?? 'GET',
      url,
      raw: req,
      headers: {
        get(name) {
          const v = req.headers[name.toLowerCase()]
          return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
        },
      },
    }
    if (stream && url.pathname === stream.path) {
      stream.open(request).then((a) => ('body' in a ? send(res, a) : streamToNode(res, a)), onError)
      return
    }
    handle(request).then(
      (a) => (a ? send(res, a) : next ? next() : send(res, notFound())),
      (e) => {
        onError(e)
        if (!res.headersSent) send(res, errorAnswer(500, { error: { code: 'internal', message: 'internal server error' } }))
      },
    )
  }
}

/** The handler as a Fetch API function. */
export function fetchAdapter(handle: Handle, { maxQueryLength, notFound, targetTooLong, stream }: AdapterOptions): (request: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url)
    if (stream && url.pathname === stream.path && url.pathname.length + url.search.length <= maxQueryLength) {
      const a = await stream.open({ method: req.method, url, headers: req.headers, raw: req })
      return 'body' in a ? new Response(a.body, { status: a.status, headers: a.headers }) : streamToResponse(a)
    }
    const a =
      url.pathname.length + url.search.length > maxQueryLength
        ? targetTooLong()
        : ((await handle({ method: req.method, url, headers: req.headers, raw: req })) ?? notFound())
    return new Response(a.body, { status: a.status, headers: a.headers })
  }
}
