import type { JsonPrimitive } from '../core/protocol.js'
import { ReplicaError, badFilter, badRequest, preview } from './errors.js'
import { fitsInteger } from './tables.js'
import type { Clause, ColumnKind, IntegerRange, ScopeValue, TableInfo } from './types.js'

/** Caps on a client's filter. Every breach is a 4xx, checked before any SQL is built. */
export interface FilterLimits {
  maxFilterFields: number
  maxInValues: number
  maxValueLength: number
}

/** Parse a JSON query parameter; malformed JSON is the client's mistake (400 bad_request). */
export function parseJsonParam(text: string, name: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw badRequest(`${name} is not valid JSON`)
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const KIND_TEXT: Record<ColumnKind, string> = {
  integer: 'integers',
  number: 'numbers',
  text: 'strings',
  boolean: 'booleans',
  any: 'strings, numbers and booleans',
}

function fits(v: string | number | boolean, kind: ColumnKind, range: IntegerRange | undefined): boolean {
  switch (kind) {
    case 'integer':
      return fitsInteger(v, range)
    case 'number':
      return typeof v === 'number'
    case 'text':
      return typeof v === 'string'
    case 'boolean':
      return typeof v === 'boolean'
    case 'any':
      return true
  }
}

function scalar(v: unknown, field: string, limits: FilterLimits, kind: ColumnKind, range: IntegerRange | undefined): JsonPrimitive {
  if (v === null) return v
  if (typeof v === 'number' && !Number.isFinite(v)) throw badFilter(`filter value of ${preview(field)} is not a finite number`)
  if (typeof v === 'string' && v.length > limits.maxValueLength) {
    throw badFilter(`filter value of ${preview(field)} is longer than ${limits.maxValueLength} characters`)
  }
  if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') {
    throw badFilter(`filter value of ${preview(field)} must be a string, number, boolean, null, or an array of those`)
  }
  // Checked against the column's type, so a string for an integer column is a clear 400 on every
  // database (PostgreSQL would fail the cast, SQLite would quietly match nothing).
  if (!fits(v, kind, range)) throw badFilter(`${preview(field)} takes ${KIND_TEXT[kind]}${kind === 'integer' ? ' in its column\'s range' : ''} (or null)`)
  return v
}

/**
 * Turn a client's filter into clauses. Keys are checked against the allow-list with a Set, so
 * `__proto__`, `constructor` and friends are just unlisted names (403 filter_not_allowed).
 */
export function filterClauses(
  filter: unknown,
  allowed: ReadonlySet<string>,
  limits: FilterLimits,
  table: Pick<TableInfo, 'kinds' | 'ranges'>,
): Clause[] {
  const { kinds, ranges } = table
  if (filter === undefined || filter === null) return []
  if (!isPlainObject(filter)) throw badFilter('filter must be a JSON object')
  const fields = Object.keys(filter)
  if (fields.length > limits.maxFilterFields) throw badFilter(`filter has more than ${limits.maxFilterFields} fields`)
  let total = 0
  const clauses: Clause[] = []
  for (const field of fields) {
    if (!allowed.has(field)) throw new ReplicaError(403, 'filter_not_allowed', `filtering on ${JSON.stringify(preview(field))} is not allowed`)
    const raw = filter[field]
    if (Array.isArray(raw)) {
      total += raw.length
      if (total > limits.maxInValues) throw badFilter(`filter has more than ${limits.maxInValues} values`)
      const kind = kinds.get(field) ?? 'any'
      clauses.push({ field, values: raw.map((v) => scalar(v, field, limits, kind, ranges.get(field))) })
    } else {
      total += 1
      clauses.push({ field, values: [scalar(raw, field, limits, kinds.get(field) ?? 'any', ranges.get(field))] })
    }
  }
  return clauses
}

/**
 * Turn `authorize`'s answer into clauses. It is the server's own code, so a malformed scope is a
 * bug (500), not the client's fault. Reads and writes both use these clauses, compared by the
 * database (`clausesSql`), so both paths agree on what a scope value is.
 */
export function scopeClauses(scope: unknown, table: Pick<TableInfo, 'tracked' | 'kinds' | 'ranges'>, collection: string): Clause[] {
  if (!isPlainObject(scope)) throw new Error(`redux-replica: authorize returned a non-object scope for ${collection}`)
  const clauses: Clause[] = []
  for (const [field, raw] of Object.entries(scope)) {
    if (!table.tracked.includes(field)) {
      throw new Error(`redux-replica: authorize scoped ${collection} by ${JSON.stringify(field)}, which is neither filterable nor a scopeField`)
    }
    const values = (Array.isArray(raw) ? raw : [raw]).map((v) => scopeValue(v, table.kinds.get(field), table.ranges.get(field), `${collection}.${field}`))
    clauses.push({ field, values })
  }
  return clauses
}

const DECIMAL = /^-?(0|[1-9][0-9]{0,18})$/

/**
 * One scope value, as the database will compare it. An integer column takes a safe integer, or
 * (for 64-bit ids past 2^53) its decimal digits as a string, bound as text and compared exactly by
 * the database (as a BigInt: SQLite binds it as a 64-bit integer, pg sends its digits). A number past 2^53 has already lost digits, so it is refused rather than
 * compared: a lossy id could match another tenant's row.
 */
export function scopeValue(v: unknown, kind: ColumnKind | undefined, range: IntegerRange | undefined, where: string): ScopeValue {
  if (!(v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
    throw new Error(`redux-replica: authorize returned a non-scalar scope value for ${where}`)
  }
  if (kind !== 'integer' || v === null) return v
  if (typeof v === 'number' && fitsInteger(v, range)) return v
  if (typeof v === 'string' && DECIMAL.test(v) && (!range || (BigInt(v) >= range.min && BigInt(v) <= range.max))) return BigInt(v)
  throw new Error(
    `redux-replica: authorize returned ${JSON.stringify(typeof v === 'number' ? String(v) : v)} for integer column ${where}: ` +
      'give a safe integer, or a decimal string for ids past 2^53 (within the column\'s range)',
  )
}
