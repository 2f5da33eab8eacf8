import type { Version } from '../protocol'

/**
 * Orders two versions: numbers numerically, strings by code unit (the 2015 timestamps share one
 * fixed format, so their string order is their time order). A number sorts before any string.
 */
export function compareVersions(a: Version, b: Version): number {
  if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0
  return typeof a === 'number' ? -1 : 1
}
