import { ReplicaError, tooLarge } from './errors.js'
import type { ReplicaRequest } from './context.js'
import { PRUNE_BATCH } from './push-plan.js'
import type { ReplicaSource } from './types.js'

/**
 * What a push must show before `authorize` or the body are looked at: the method, a JSON content
 * type (a form or `text/plain` POST, which a page of any site may send without asking, is `415`),
 * an allowed `Origin` when the app names its origins (`403`), and a declared size within the
 * limit (`413`).
 */
export type OriginCheck = ((origin: string, request: ReplicaRequest) => boolean) | null

export function checkPushRequest(request: ReplicaRequest, options: { allowedOrigin: OriginCheck; maxPushBytes: number }): void {
  if (request.method !== 'POST') throw new ReplicaError(405, 'bad_request', `method ${request.method.slice(0, 16)} not allowed; use POST`)
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') throw new ReplicaError(415, 'unsupported_media_type', 'a push must be sent as application/json')
  const origin = request.headers.get('origin')
  if (options.allowedOrigin && origin !== null && !options.allowedOrigin(origin, request)) {
    throw new ReplicaError(403, 'forbidden', 'pushes from this origin are not allowed')
  }
  const length = Number(request.headers.get('content-length') ?? 0)
  if (length > options.maxPushBytes) throw tooLarge(413, `request body over ${options.maxPushBytes} bytes`)
}

/**
 * Deletes mutation-id records older than `keepFor` ms, at most once per `min(keepFor, 1 minute)`
 * and at most ten batches per run, so the table stays as large as the retention asks and no
 * push waits on a long delete.
 */
/** The `allowedOrigins` option as one check; a malformed list is a start-up error. */
export function originCheck(allowed: readonly string[] | ((origin: string, request: ReplicaRequest) => boolean) | undefined): OriginCheck {
  if (allowed === undefined) return null
  if (typeof allowed === 'function') return allowed
  if (!Array.isArray(allowed) || allowed.some((o) => typeof o !== 'string' || !/^https?:\/\/[^/\s]+$/.test(o))) {
    throw new Error("redux-replica: allowedOrigins must list origins such as 'https://app.example.com' (scheme and host, no path), or be a function")
  }
  const set = new Set(allowed)
  return (origin) => set.has(origin)
}

export function mutationPruner(source: ReplicaSource, keepFor: number, onError: (error: unknown) => void) {
  const every = Math.min(keepFor, 60_000)
  let last = -Infinity
  let running: Promise<void> | null = null
  return function prune(): Promise<void> {
    const now = Date.now()
    if (running || now - last < every) return running ?? Promise.resolve()
    last = now
    running = (async () => {
      const before = new Date(now - keepFor)
      for (let i = 0; i < 10; i++) if ((await source.pruneMutations(before, PRUNE_BATCH)) < PRUNE_BATCH) break
    })()
      .catch(onError)
      .finally(() => (running = null))
    return running
  }
}
