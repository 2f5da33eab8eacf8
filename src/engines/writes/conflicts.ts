import { ReplicaError } from '../../core/errors'
import type { Row } from '../../core/pullWire'
import type { ConflictDecision, ConflictInfo } from '../../core/writeTypes'
import type { Resolve } from '../../store/outboxStore'
import { toLocalWrite } from './validate'

/**
 * The outbox's conflict rule from the app's `onConflict`: the server wins without one, and when it
 * throws or returns a row that is not a valid write of the same key (logged: a bug in the app).
 */
export function conflictResolver(
  onConflict: ((conflict: ConflictInfo) => ConflictDecision) | undefined,
  collections: Record<string, { primaryKey: string }>,
): Resolve {
  return ({ entry, server }) => {
    if (!onConflict) return 'server'
    try {
      const decision = onConflict({ collection: entry.collection, base: entry.base ?? null, local: entry.row ?? null, server, mutation: entry })
      if (decision === 'server' || decision === 'client') return decision
      const merged = toLocalWrite('save', { collection: entry.collection, row: decision }, collections, () => undefined)
      if (String(merged.key) !== String(entry.key)) throw new ReplicaError('bad_write', 'a merged row must keep the primary key')
      return { merged: merged.row as Row }
    } catch (error) {
      console.error('redux-replica: onConflict failed or returned a bad row; the server wins', error)
      return 'server'
    }
  }
}
