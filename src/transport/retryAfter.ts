/** A `Retry-After` further away than this is treated as this: an hour is already "come back later". */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000

/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP date. Returns
 * milliseconds from `now`, or undefined when the header is absent or unreadable.
 *
 * @example parseRetryAfter('2') // 2000
 * @example parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')) // 60000
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header == null) return undefined
  const value = header.trim()
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS)
  const at = Date.parse(value)
  if (Number.isNaN(at)) return undefined
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS)
}
