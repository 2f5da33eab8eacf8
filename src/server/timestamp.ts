/**
 * Fixed-format UTC timestamps with microseconds, `2015-03-19T20:14:25.123456Z`: every value has the
 * same length and layout, so comparing the strings compares the times, in SQL and in JavaScript.
 */

const FORMAT = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(?:Z|[+-]00(?::?00)?)?$/

/** Format microseconds since the epoch. */
export function isoMicros(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000)
  const micros = String(Math.floor(epochMicros) - ms * 1000).padStart(3, '0')
  return new Date(ms).toISOString().replace(/Z$/, `${micros}Z`)
}

let last = 0
/** Now, with microseconds (from the high-resolution clock), never going backwards in this process. */
export function nowMicros(): string {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000)
  last = Math.max(last, us)
  return isoMicros(last)
}

/**
 * Bring a UTC timestamp with 0 to 6 fractional digits into the fixed format, or return null.
 * The 2015 server parsed its cursor with `DateTime.parse`; this accepts the same UTC spellings.
 */
export function normalizeTimestamp(text: string): string | null {
  const m = FORMAT.exec(text)
  if (!m) return null
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z`
}
