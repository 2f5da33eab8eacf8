import type { MutationResult } from '../writes/wire.js'
import type { WriteOp } from './types.js'

/** The row a pushed mutation finds, read (and in PostgreSQL locked) inside its transaction. */
export interface CurrentRow {
  /** Every column as stored, reserved ones included (SQLite booleans are 0/1). */
  values: Record<string, unknown>
  /** The row as a pull would send it: a live row, or a tombstone when soft-deleted. */
  wire: Record<string, unknown>
  version: number
  deleted: boolean
}

/** What a mutation does once it has seen the current row: write, or answer without writing. */
export type MutationDecision =
  | { write: WriteOp; /** Builds the answer from the row read back after the write. */ answer(written: Record<string, unknown> | null): MutationResult }
  | { answer: MutationResult }

/**
 * One pushed mutation, validated, as the push endpoint hands it to a source. The source runs it in
 * ONE transaction: look up `id` in `_replica_mutations` (a known id answers its stored result, and
 * nothing is written again), read the row, `decide`, write, read the row back, store the result.
 */
export interface MutationPlan {
  /** The client's mutation id: the idempotency key. */
  id: string
  /** A hash of what the mutation asks for; a known id with another fingerprint is refused. */
  fingerprint: string
  /** Primary-key value of the row. */
  key: string | number
  decide(current: CurrentRow | null): MutationDecision
}

/** The table of applied mutation ids, one per database (schema in PostgreSQL). */
export const MUTATIONS_TABLE = '_replica_mutations'

/** The answer for an id that was already used for a different write. */
export function idReused(id: string): MutationResult {
  return { id, status: 'rejected', error: { code: 'id_reused', message: 'this mutation id was already used for a different write' } }
}

/** A write refused by the database itself (NOT NULL, UNIQUE, CHECK, a value out of the column's range). */
export function constraintRejected(id: string, error: unknown): MutationResult {
  const detail = error instanceof Error ? error.message.split('\n')[0]!.slice(0, 200) : 'constraint violated'
  return { id, status: 'rejected', error: { code: 'constraint', message: `the database refused the write: ${detail}` } }
}
