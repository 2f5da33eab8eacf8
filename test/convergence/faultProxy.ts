import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * What the network does to one request:
 * - `drop`: the request never reaches the server (the connection is cut);
 * - `lose`: the server gets and applies it, the answer never comes back;
 * - `503`: a gateway answers 503 without asking the server;
 * - `hold`: the request waits in the network until released, then goes on (a delay that reorders).
 */
export type FaultKind = 'drop' | 'lose' | '503' | 'hold'

/** Which requests a fault is for: by endpoint, or the next request of any kind. */
export type FaultTarget = 'pull' | 'push' | 'any'

interface Armed {
  kind: FaultKind
  on: FaultTarget
}

const endpointOf = (url: string | undefined): 'pull' | 'push' | 'digest' | 'other' => {
  const path = (url ?? '').split('?')[0] ?? ''
  if (path.endsWith('/pull')) return 'pull'
  if (path.endsWith('/push')) return 'push'
  if (path.endsWith('/digest')) return 'digest'
  return 'other'
}

/** Whether a pull answer says the server holds committed changes back (an open PostgreSQL transaction). */
function heldBackIn(answer: Buffer): boolean {
  try {
    return (JSON.parse(answer.toString('utf8')) as { heldBack?: unknown }).heldBack === true
  } catch {
    return false
  }
}

/**
 * A small HTTP proxy on loopback between one client and the server, with faults armed per
 * request. `activity` counts every request and answer that crosses it, so a caller can tell when
 * the network has gone quiet.
 */
export async function faultProxy(target: string) {
  const upstream = new URL(target)
  const armed: Armed[] = []
  const held: Array<() => void> = []
  const sockets = new Set<import('node:net').Socket>()
  let activity = 0
  let inFlight = 0
  let heldBack = 0

  const forward = (req: http.IncomingMessage, body: Buffer, deliver: (status: number, headers: http.IncomingHttpHeaders, answer: Buffer) => void, fail: () => void) => {
    inFlight++
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host, connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          inFlight--
          activity++
          const answer = Buffer.concat(chunks)
          if (endpointOf(req.url) === 'pull' && res.statusCode === 200 && heldBackIn(answer)) heldBack++
          deliver(res.statusCode ?? 502, res.headers, answer)
        })
        res.on('error', () => {
          inFlight--
          fail()
        })
      },
    )
    out.on('error', () => {
      inFlight--
      fail()
    })
    out.end(body)
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      activity++
      const body = Buffer.concat(chunks)
      const endpoint = endpointOf(req.url)
      const at = armed.findIndex((f) => f.on === 'any' || f.on === endpoint)
      const fault = at >= 0 ? armed.splice(at, 1)[0]!.kind : undefined
      const cut = () => req.socket.destroy()
      const answer = (status: number, headers: http.IncomingHttpHeaders, payload: Buffer) => {
        if (res.destroyed || req.socket.destroyed) return
        res.writeHead(status, { 'content-type': headers['content-type'] ?? 'application/json', 'content-length': payload.length, connection: 'close' })
        res.end(payload)
      }
      if (fault === 'drop') return cut()
      if (fault === '503') {
        const payload = Buffer.from(JSON.stringify({ error: { code: 'unavailable', message: '503 from the fault proxy' } }))
        return answer(503, { 'content-type': 'application/json' }, payload)
      }
      const go = () => forward(req, body, fault === 'lose' ? cut : answer, cut)
      if (fault === 'hold') held.push(go)
      else go()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    /** Arms `count` faults of one kind for the next matching requests. */
    arm(kind: FaultKind, on: FaultTarget, count = 1) {
      for (let i = 0; i < count; i++) armed.push({ kind, on })
    },
    /** Lets every held request go on, in the order they came. */
    release() {
      for (const go of held.splice(0)) go()
    },
    /** No more faults; held requests go on. */
    heal() {
      armed.length = 0
      this.release()
    },
    activity: () => activity,
    /** Requests forwarded to the server and not answered yet (held ones are not counted). */
    inFlight: () => inFlight,
    held: () => held.length,
    /** Pull answers that came through saying the server held changes back. */
    heldBackAnswers: () => heldBack,
    async close() {
      armed.length = 0
      held.length = 0
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export type FaultProxy = Awaited<ReturnType<typeof faultProxy>>
