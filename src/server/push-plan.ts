import type { MutationResult } from '../core/pushWire.js'
import type { Clause, WriteOp } from './types.js'

/** The row a pushed mutation finds, read (and in PostgreSQL locked) inside its transaction. */
export interface CurrentRow {
  /** The row as a pull would send it: a live row, or a tombstone when soft-deleted. */
  wire: Record<string, unknown>
  version: number
  deleted: boolean
  /** Whether the row matches the caller's scope, as the database compares it (as for reads). */
  inScope: boolean
}

/** A row as `currentRowStatement` selects it (wire JSON, version, deleted, in scope), or null. */
export const currentRowOf = (found: unknown[] | undefined): CurrentRow | null =>
  found
    ? { wire: JSON.parse(found[0] as string) as Record<string, unknown>, version: Number(found[1]), deleted: found[2] === 1, inScope: found[3] === 1 }
    : null

/** What a mutation does once it has seen the current row: write, or answer without writing. */
export type MutationDecision =
  | { write: WriteOp; /** Builds the answer from the row read back after the write. */ answer(written: Record<string, unknown> | null): MutationResult }
  | { answer: MutationResult }

/**
 * One pushed mutation, validated, as the push endpoint hands it to a source. The source runs it in
 * ONE transaction: look up `id` in `_replica_mutations` (a known id answers its stored result, and
 * nothing is written again), read the row, `decide`, write, check that the written row is still in
 * `scope` (else undo the write and answer {@link outOfScope}), read the row back, store the result.
 */
export interface MutationPlan {
  /** The client's mutation id: the idempotency key. */
  id: string
  /** A hash of what the mutation asks for; a known id with another fingerprint is refused. */
  fingerprint: string
  /** Primary-key value of the row. */
  key: string | number
  /** The caller's scope: the row must match it before the write (else it is not seen) and after. */
  scope: readonly Clause[]
  decide(current: CurrentRow | null): MutationDecision
}

/** The table of applied mutation ids, one per database (schema in PostgreSQL). */
export const MUTATIONS_TABLE = '_replica_mutations'

/** Mutation ids pruned per statement, so a prune never holds a long lock. */
export const PRUNE_BATCH = 1000

/** The answer for an id that was already used for a different write. */
export function idReused(id: string): MutationResult {
  return { id, status: 'rejected', error: { code: 'id_reused', message: 'this mutation id was already used for a different write' } }
}

/**
 * A write the database refused (NOT NULL, UNIQUE, CHECK, a value out of range or too large for an
 * index), and an insert over a key that exists outside the caller's scope. One generic answer for
 * all: the database's message names tables, columns and constraints, and telling a UNIQUE
 * violation apart would tell the caller that another tenant holds that value.
 */
export function constraintRejected(id: string): MutationResult {
  return { id, status: 'rejected', error: { code: 'constraint', message: 'the database refused this write' } }
}

/** The answer for a write that would leave the row outside the caller's scope. */
export function outOfScope(id: string): MutationResult {
  return { id, status: 'rejected', error: { code: 'forbidden', message: 'the row would be outside your scope' } }
}

/**
 * Errors the database raises for what a request carried (a value, a key), not for a fault of its
 * own: PostgreSQL classes 22 (data exception), 23 (integrity) and 54 (program limit, e.g. an index
 * row too large); SQLite's constraint, type, size and range errors. Anything else (a lost
 * connection, a deadlock) stays a 5xx, which the client retries.
 */
export function isInputError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? String((error as { code?: unknown }).code) : ''
  return /^(22|23|54)[0-9A-Z]{3}$/.test(code) || /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code)
}
