import type { SerializedError } from '@reduxjs/toolkit'

/** Why a sync failed, as a machine-readable code. Server codes pass through unchanged. */
export type ReplicaErrorCode =
  | 'unknown_collection'
  | 'bad_filter'
  | 'malformed_page'
  | 'network'
  | 'http'
  | 'timeout'
  | 'storage'
  | 'cursor_stalled'
  | (string & {})

/**
 * The error every part of the client throws. It never reaches Redux as an instance: state and
 * actions carry {@link toSerializedError}'s plain copy.
 */
export class ReplicaError extends Error {
  override readonly name = 'ReplicaError'
  readonly code: ReplicaErrorCode
  /** HTTP status, when the error came from a response. */
  readonly status: number | undefined
  /** The server's `Retry-After` in milliseconds, when it sent one (429, 503). */
  readonly retryAfter: number | undefined

  constructor(code: ReplicaErrorCode, message: string, options: { status?: number; cause?: unknown; retryAfter?: number } = {}) {
    super(message, { cause: options.cause })
    this.code = code
    this.status = options.status
    this.retryAfter = options.retryAfter
  }
}

/** A plain, serializable copy of any thrown value. */
export function toSerializedError(error: unknown): SerializedError {
  if (error instanceof ReplicaError) {
    return { name: error.name, message: error.message, code: error.code }
  }
  if (error instanceof Error) return { name: error.name, message: error.message }
  return { name: 'Error', message: String(error) }
}
