import { ReplicaError } from '../core/errors'
import type { Json, Key, Version } from '../core/protocol'
import { parseRetryAfter } from './retryAfter'
import type { Row } from '../core/pullWire'

/** Rows come from JSON; a row must at least be an object. */
export function asRow(value: unknown, index: number): Row {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`row ${index} is not an object`)
  }
  return value as Row
}

/** A primary key must be a non-empty string or a finite number. */
export function keyOf(row: Row, primaryKey: string, index: number): Key {
  const key: Json | undefined = row[primaryKey]
  if ((typeof key === 'string' && key !== '') || (typeof key === 'number' && Number.isFinite(key))) {
    return key
  }
  throw malformed(`row ${index} has no valid primary key "${primaryKey}" (got ${JSON.stringify(key) ?? 'nothing'})`)
}

/** A version is a finite number or a non-empty string, whichever the protocol uses. */
export function versionOf(value: Json | undefined, field: string, index: number, kind: 'number' | 'string'): Version {
  if (kind === 'number' ? typeof value === 'number' && Number.isFinite(value) : typeof value === 'string' && value !== '') {
    return value as Version
  }
  throw malformed(`row ${index} has no valid ${field} (expected a ${kind}, got ${JSON.stringify(value) ?? 'nothing'})`)
}

export function malformed(message: string): ReplicaError {
  return new ReplicaError('malformed_page', `Malformed page: ${message}`)
}

/** Reads a response body as JSON, turning a parse failure into a clear error. */
export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text()
  try {
    return JSON.parse(text)
  } catch {
    throw malformed(`the body is not JSON (starts with ${JSON.stringify(text.slice(0, 40))})`)
  }
}

/** Turns a non-2xx answer into a ReplicaError carrying the server's own message when it sent one. */
export async function httpError(response: Response): Promise<ReplicaError> {
  let message = `${response.status} ${response.statusText}`.trim()
  let code = 'http'
  try {
    const body = JSON.parse(await response.text()) as { error?: { code?: unknown; message?: unknown } }
    if (typeof body.error?.message === 'string') message = `${response.status}: ${body.error.message}`
    if (typeof body.error?.code === 'string') code = body.error.code
  } catch {
    // Not our error body; the status line says enough.
  }
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'))
  return new ReplicaError(code, message, retryAfter === undefined ? { status: response.status } : { status: response.status, retryAfter })
}

/** Headers for a request: fixed, or asked for per request (a token that may have been refreshed). */
export type HeadersOption = Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>)

export async function resolveHeaders(headers: HeadersOption | undefined): Promise<Record<string, string> | undefined> {
  return typeof headers === 'function' ? headers() : headers
}

/** Runs fetch, turning a network failure (not an abort) into a `network` ReplicaError. */
export async function fetchOrThrow(fetchImpl: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetchImpl(url, init)
  } catch (error) {
    if ((init.signal as AbortSignal | undefined)?.aborted) throw error
    throw new ReplicaError('network', `Network error: ${(error as Error).message ?? String(error)}`, { cause: error })
  }
}
