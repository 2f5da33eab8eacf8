import type { Row } from '../core/pullWire'
import type { OutboxEntry } from '../core/writeTypes'
import { FORMAT_VERSION, META } from './format'
import { OUTBOX } from './outboxStore'
import type { LocalWriteOutcome, OutboxStore } from './outboxStore'
import type { Loaded, SetAsideReason, StorageConnection } from './persistence'

/**
 * A follower tab taking the lead (one writer per origin, docs/persistence.md): when the old leader
 * lets go, the writes it queued that never reached this tab are adopted into this tab's outbox
 * (only the outbox cannot be pulled again), then `lead()` makes this tab save its memory in full.
 */
export function takeLeadWhenFree(
  writer: NonNullable<StorageConnection['writer']>,
  take: {
    connection: StorageConnection
    writes: OutboxStore
    collections: Record<string, unknown>
    closed(): boolean
    lead(): void
    onLeader?(adopted: LocalWriteOutcome[]): void
  },
): void {
  void writer.whenLeader.then(async (stored) => {
    if (take.closed()) return
    // The old leader's last save is about to be overwritten by this tab's memory: keep the
    // writes it queued that never reached this tab.
    const found = storedOutbox(stored, take.collections)
    if (found.problem) await take.connection.setAside(found.problem).catch(() => {})
    if (take.closed()) return
    let adopted: LocalWriteOutcome[] = []
    try {
      adopted = take.writes.adopt(found.entries)
    } catch (error) {
      // This tab's own data must still reach disk.
      console.error('redux-replica: could not adopt the pending writes of the tab that saved before', error)
    }
    take.lead()
    take.onLeader?.(adopted)
  })
}

/**
 * The outbox of a stored database, as loaded from storage; `problem` if it cannot be used (then it
 * is set aside rather than overwritten). Entries of unknown collections or shapes are left out.
 */
function storedOutbox(stored: Loaded, collections: Record<string, unknown>): { entries: OutboxEntry[]; problem?: SetAsideReason } {
  if (stored.kind === 'none') return { entries: [] }
  if (stored.kind === 'unreadable') return { entries: [], problem: 'unreadable' }
  // Read defensively: this is what another tab (perhaps another version of the app) wrote.
  const db = stored.value as { collections?: Array<{ name?: unknown; data?: unknown }> }
  const data = (name: string) => {
    const found = Array.isArray(db?.collections) ? db.collections.find((c) => c?.name === name)?.data : undefined
    return Array.isArray(found) ? (found as Array<Record<string, unknown>>) : []
  }
  const format = data(META).find((doc) => doc?.key === 'format')?.value
  if (format === undefined) return { entries: [], problem: 'unreadable' }
  if (format !== FORMAT_VERSION) return { entries: [], problem: 'incompatible' }
  const entries: OutboxEntry[] = []
  for (const doc of data(OUTBOX)) {
    const { id, seq, collection, key, op, row, baseVersion, base } = doc
    if (typeof id !== 'string' || typeof seq !== 'number' || typeof collection !== 'string' || !Object.hasOwn(collections, collection)) continue
    if ((typeof key !== 'string' && typeof key !== 'number') || (baseVersion !== null && typeof baseVersion !== 'number')) continue
    // The row the write was made on (for onConflict); an older entry has none.
    const based = typeof base === 'object' && !Array.isArray(base) ? { base: base as Row | null } : {}
    if (op === 'delete') entries.push({ id, seq, collection, key, op, baseVersion, ...based })
    else if (op === 'upsert' && typeof row === 'object' && row !== null) entries.push({ id, seq, collection, key, op, row: row as Row, baseVersion, ...based })
  }
  return { entries }
}

