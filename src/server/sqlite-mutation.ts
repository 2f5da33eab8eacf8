import type { Database, Statement as SqliteStatement } from 'better-sqlite3'
import type { MutationResult } from '../core/pushWire.js'
import { currentRowStatement, inScopeStatement, type Statement } from './queries.js'
import { MUTATIONS_TABLE, constraintRejected, idReused, isInputError, outOfScope, currentRowOf, type MutationPlan } from './push-plan.js'
import { q, type Dialect } from './sql.js'
import type { TableInfo, WriteOp } from './types.js'

/** What applying a mutation needs of the SQLite source. */
export interface SqliteAccess {
  db: Database
  dialect: Dialect
  prepared(sql: string): SqliteStatement
  rows(st: Statement): unknown[][]
  /** One write and the row read back as a pull would send it; the caller holds the transaction. */
  writeNow(table: TableInfo, op: WriteOp): Record<string, unknown> | null
}

/** Thrown inside a write's savepoint to undo a write that left the caller's scope. */
class LeftScope extends Error {}

/**
 * One pushed mutation, exactly once (docs/protocol.md, "Push"): the id's record is checked, the
 * write made (or refused) and the answer recorded, in one transaction.
 */
export function applySqliteMutation(
  { db, dialect, prepared, rows, writeNow }: SqliteAccess,
  table: TableInfo,
  plan: MutationPlan,
): MutationResult {
  const M = q(MUTATIONS_TABLE)
  // better-sqlite3 runs the whole function as one transaction, synchronously: nothing else can
  // interleave, so the id check, the write and the id's record commit together or not at all.
  const apply = db.transaction((): MutationResult => {
    const prior = prepared(`SELECT fingerprint, result FROM ${M} WHERE id = @p1`).get({ p1: plan.id }) as { fingerprint: string; result: string } | undefined
    if (prior) return prior.fingerprint === plan.fingerprint ? (JSON.parse(prior.result) as MutationResult) : idReused(plan.id)
    const found = rows(currentRowStatement(dialect, table, plan.key, plan.scope, false))[0]
    const decision = plan.decide(currentRowOf(found))
    let result: MutationResult
    if (!('write' in decision)) result = decision.answer
    else {
      try {
        // A nested transaction is a savepoint: a refused write rolls back alone.
        result = decision.answer(
          db.transaction(() => {
            const written = writeNow(table, decision.write)
            if (plan.scope.length && rows(inScopeStatement(dialect, table, plan.key, plan.scope))[0]?.[0] !== 1) throw new LeftScope()
            return written
          })(),
        )
      } catch (error) {
        if (error instanceof LeftScope) result = outOfScope(plan.id)
        else if (isInputError(error)) result = constraintRejected(plan.id)
        else throw error
      }
    }
    prepared(`INSERT INTO ${M} (id, fingerprint, result, at) VALUES (@p1, @p2, @p3, @p4)`).run({
      p1: plan.id,
      p2: plan.fingerprint,
      p3: JSON.stringify(result),
      p4: new Date().toISOString(),
    })
    return result
  })
  try {
    return apply()
  } catch (error) {
    // Refused before the write (a key the column cannot hold): answered, not recorded.
    if (isInputError(error)) return constraintRejected(plan.id)
    throw error
  }
}
