import { ReplicaError } from '../core/errors'

/**
 * What to do about a failed pull request. The rules (docs/live-sync.md):
 * - `offline`: the request never got an HTTP answer. Wait at the offline gate; not a failure.
 * - `transient`: 5xx, 408, 429, a timeout, a malformed page, an unknown throw. Retry with backoff
 *   (or after `Retry-After`), a limited number of times.
 * - `unauthorized`: 401. Ask `onUnauthorized` to refresh credentials, retry once.
 * - `fatal`: any other 4xx, a local storage failure, a cursor that does not advance. Retrying the
 *   same request cannot help.
 */
export type FailureKind = 'offline' | 'transient' | 'unauthorized' | 'fatal'

export interface Failure {
  kind: FailureKind
  /** The server's `Retry-After`, in ms, when it sent one. */
  retryAfter?: number
}

export function classifyFailure(error: unknown): Failure {
  if (!(error instanceof ReplicaError)) return { kind: 'transient' }
  const retryAfter = error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }
  if (error.code === 'network') return { kind: 'offline' }
  if (error.code === 'storage' || error.code === 'cursor_stalled') return { kind: 'fatal' }
  const status = error.status
  if (status === undefined) return { kind: 'transient' } // timeout, malformed page
  if (status === 401) return { kind: 'unauthorized' }
  if (status === 408 || status === 429 || status >= 500) return { kind: 'transient', ...retryAfter }
  if (status >= 400) return { kind: 'fatal' }
  return { kind: 'transient' }
}
