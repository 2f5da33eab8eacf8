import type { Filter, FilterValue, JsonPrimitive } from './protocol'

/** What a subscription asks for: a collection plus a filter. */
export interface Scope {
  collection: string
  /** Equality for a scalar, IN for an array; fields are ANDed. Absent or `{}`: the whole collection. */
  filter?: Filter
}

/**
 * What a subscribe action carries: the scope, plus how this subscriber would like it kept live.
 * The identity stays collection plus filter; `pollingInterval` is not part of it.
 */
export interface SubscribeOptions extends Scope {
  /**
   * Poll this subscription every this many ms once caught up, instead of the replica's default.
   * With several subscribers of one scope, the shortest interval wins; `0` asks for no polling.
   * @example dispatch(replica.actions.subscribe({ collection: 'note', filter: { project_id: 7 }, pollingInterval: 5_000 }))
   */
  pollingInterval?: number
  /**
   * Seconds the scope's rows, and its cursor, stay stored after its last subscriber leaves, instead
   * of the replica's default (60). `0`: evicted at once; `Infinity`: never. With several
   * subscribers of one scope, the longest time any of them asked for while it was held wins. A
   * value that is not a number >= 0 counts as not given. See docs/eviction.md.
   * @example dispatch(replica.actions.subscribe({ collection: 'note', filter: { project_id: 7 }, keepUnusedDataFor: 300 }))
   */
  keepUnusedDataFor?: number
}

/**
 * A filter in canonical form: keys sorted, IN lists sorted and de-duplicated, and a one-value
 * IN list folded to equality. Two filters that select the same rows canonicalize alike,
 * so `{ a: 1, b: [2, 1] }` and `{ b: [1, 2], a: [1] }` are one subscription.
 */
export function canonicalFilter(filter: Filter | undefined): Filter {
  // Not a filter at all: keep it as it is, so the error status names what was sent.
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) return (filter ?? {}) as Filter
  const canonical: Filter = {}
  for (const field of Object.keys(filter).sort()) {
    const value = filter[field] as FilterValue
    if (!Array.isArray(value)) {
      canonical[field] = value
      continue
    }
    const unique = [...new Map(value.map((v) => [valueKey(v), v])).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v)
    canonical[field] = unique.length === 1 ? (unique[0] as JsonPrimitive) : unique
  }
  return canonical
}

/** The identity of a subscription: collection plus canonical filter, as one string. */
export function scopeKey(scope: Scope): string {
  return `${scope.collection}:${JSON.stringify(canonicalFilter(scope.filter))}`
}

/**
 * Whether a row matches a filter, client side, with the server's semantics. Keys compare as the
 * server does for JSON scalars; `1` and `'1'` differ here, as they do in a typed column.
 */
export function matchesFilter(row: Record<string, unknown>, filter: Filter): boolean {
  for (const field in filter) {
    const expected = filter[field] as FilterValue
    const actual = row[field]
    if (Array.isArray(expected) ? !expected.includes(actual as JsonPrimitive) : actual !== expected) {
      return false
    }
  }
  return true
}

/** Checks that a filter is plain data the protocol can carry; returns a message when it is not. */
export function describeFilterProblem(filter: unknown): string | undefined {
  if (filter === undefined) return undefined
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    return 'filter must be a plain object such as { project_id: 7 }'
  }
  for (const [field, value] of Object.entries(filter)) {
    const values = Array.isArray(value) ? value : [value]
    if (values.some((v) => v !== null && typeof v === 'object')) {
      return `filter field "${field}" must be a string, number, boolean, null or an array of them`
    }
    if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
      return `filter field "${field}" must be a finite number`
    }
  }
  return undefined
}

function valueKey(value: JsonPrimitive): string {
  return `${typeof value}:${String(value)}`
}
