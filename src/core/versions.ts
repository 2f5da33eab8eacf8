import type { Version } from './protocol'

/**
 * Orders two versions: numbers numerically, strings as timestamps (the 2015 protocol's version is
 * `updated_at`). A number sorts before any string.
 */
export function compareVersions(a: Version, b: Version): number {
  if (typeof a === 'number' || typeof b === 'number') {
    if (typeof a === typeof b) return (a as number) - (b as number)
    return typeof a === 'number' ? -1 : 1
  }
  // One fixed format (the common case, and the reference server's): string order is time order.
  if (a.length === b.length) return a < b ? -1 : a > b ? 1 : 0
  return compareStrings(normalizeTimestamp(a), normalizeTimestamp(b))
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(.*)$/

/**
 * Pads an ISO-like timestamp's fraction to nine digits, so `…25.1Z` sorts before `…25.12Z` (Go's
 * RFC 3339 with trimmed zeros, Ruby's and Python's defaults all vary the digits). Anything else is
 * left as it is and compared by code unit.
 */
function normalizeTimestamp(value: string): string {
  const match = TIMESTAMP.exec(value)
  if (!match) return value
  const [, seconds, fraction = '', zone] = match
  return `${(seconds as string).replace(' ', 'T')}.${fraction.padEnd(9, '0')}${zone}`
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
