import type { DigestResult } from '../core/pullWire'
import { malformed } from './validateRow'

/** Validates a digest answer. */
export function parseDigestBody(body: unknown): DigestResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed('the digest is not an object')
  const { count, hash, version } = body as Partial<DigestResult>
  if (!(Number.isSafeInteger(count) && (count as number) >= 0)) throw malformed('the digest\'s "count" is not a non-negative integer')
  if (!(Number.isInteger(hash) && (hash as number) >= 0 && (hash as number) < 2 ** 32)) throw malformed('the digest\'s "hash" is not an unsigned 32-bit integer')
  if (version !== undefined && !(typeof version === 'number' && Number.isFinite(version))) throw malformed('the digest\'s "version" is not a number')
  return version === undefined ? { count: count as number, hash: hash as number } : { count: count as number, hash: hash as number, version }
}
