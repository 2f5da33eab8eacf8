import type { ErrorBody, ErrorCode } from '../core/protocol.js'

/**
 * An error that becomes a 4xx/5xx answer with a JSON body `{ error: { code, message } }`.
 * Throw it from `authorize` to refuse a caller, e.g.
 * `throw new ReplicaError(403, 'forbidden', 'not a member of this project')`.
 */
export class ReplicaError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Seconds the client should wait before trying again (sent as `Retry-After`). */
    readonly retryAfter?: number,
  ) {
    super(message)
    this.name = 'ReplicaError'
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } }
  }
}

export const badRequest = (message: string) => new ReplicaError(400, 'bad_request', message)
export const badFilter = (message: string) => new ReplicaError(400, 'bad_filter', message)
export const badCursor = (message = 'cursor was not issued by this server') =>
  new ReplicaError(400, 'bad_cursor', message)
export const badLimit = (message: string) => new ReplicaError(400, 'bad_limit', message)
export const tooLarge = (status: 413 | 414, message: string) => new ReplicaError(status, 'too_large', message)
/** The server is at its limit for costly reads (or one ran out of time): come back later. */
export const busy = (message: string, retryAfterSeconds = 1) => new ReplicaError(503, 'busy', message, retryAfterSeconds)

/** Cut user input shown in error messages so an answer never echoes a megabyte back. */
export function preview(value: string, max = 60): string {
  return value.length > max ? `${value.slice(0, max)}…` : value
}
