import type { Pool, PoolClient } from 'pg'
import type { MutationResult } from '../core/pushWire.js'
import { currentRowStatement, inScopeStatement, rowJsonSql, writeStatement, type Statement } from './queries.js'
import { MUTATIONS_TABLE, constraintRejected, idReused, isInputError, outOfScope, currentRowOf, type MutationPlan } from './push-plan.js'
import type { Dialect } from './sql.js'
import type { TableInfo } from './types.js'

/** What applying a mutation needs of the PostgreSQL source. */
export interface PostgresAccess {
  pool: Pool
  dialect: Dialect
  run(st: Statement, via: PoolClient): Promise<unknown[][]>
}

/**
 * One pushed mutation, exactly once (docs/protocol.md, "Push"): the id is claimed first, so a
 * resend that races the first attempt waits for it and reads its answer; the write runs in a
 * savepoint, so a refused write rolls back alone; the answer is recorded in the same transaction.
 */
export async function applyPostgresMutation(access: PostgresAccess, table: TableInfo, plan: MutationPlan): Promise<MutationResult> {
  const d = access.dialect
  const M = d.table(MUTATIONS_TABLE)
  const client = await access.pool.connect()
  try {
    await client.query('BEGIN')
    // Claim the id first. A concurrent transaction holding the same id (a client resending
    // after a timeout while the first attempt still runs) makes this insert wait for it, then
    // do nothing: the stored answer is read instead, and the write never happens twice.
    const claim = await client.query(`INSERT INTO ${M} (id, fingerprint) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [plan.id, plan.fingerprint])
    if (claim.rowCount === 0) {
      const prior = (await client.query<{ fingerprint: string; result: string }>(`SELECT fingerprint, result FROM ${M} WHERE id = $1`, [plan.id])).rows[0]!
      await client.query('COMMIT')
      return prior.fingerprint === plan.fingerprint ? (JSON.parse(prior.result) as MutationResult) : idReused(plan.id)
    }
    const found = (await access.run(currentRowStatement(d, table, plan.key, plan.scope, true), client))[0]
    const decision = plan.decide(currentRowOf(found))
    let result: MutationResult
    if (!('write' in decision)) result = decision.answer
    else {
      await client.query('SAVEPOINT replica_write')
      try {
        const st = writeStatement(d, table, decision.write)
        const written = await access.run({ sql: `WITH w AS (${st.sql} RETURNING *) ${rowJsonSql(d, table, 'w')}`, params: st.params }, client)
        const inScope = !plan.scope.length || (await access.run(inScopeStatement(d, table, plan.key, plan.scope), client))[0]?.[0] === 1
        if (inScope) {
          await client.query('RELEASE SAVEPOINT replica_write')
          result = decision.answer(written.length ? (JSON.parse(written[0]![0] as string) as Record<string, unknown>) : null)
        } else {
          await client.query('ROLLBACK TO SAVEPOINT replica_write')
          result = outOfScope(plan.id)
        }
      } catch (error) {
        if (!isInputError(error)) throw error
        await client.query('ROLLBACK TO SAVEPOINT replica_write')
        result = constraintRejected(plan.id)
      }
    }
    await client.query(`UPDATE ${M} SET result = $2 WHERE id = $1`, [plan.id, JSON.stringify(result)])
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    // Refused before the write (a key the column cannot hold): answered, not recorded.
    if (isInputError(error)) return constraintRejected(plan.id)
    throw error
  } finally {
    client.release()
  }
}
