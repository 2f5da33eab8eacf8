import { ReplicaError } from '../core/errors'
import type { Version } from '../core/protocol'
import type { Checkpoint, Row } from '../core/pullWire'
import type { AppliedPage, RepairSession, StoredSubscription } from './localStoreTypes'
import { holdRow, lastChangePerKey } from './rows'
import type { Collection, StoredRow } from './rows'
import type { TombstoneMemory } from './tombstones'
import { compareVersions } from '../core/versions'

/** What a repair needs of the local store it runs in. */
export interface RepairContext {
  key: string
  /** A version the server says its stream has passed for this subscription (the digest's `version`). */
  reached: Version | undefined
  subscriptions: Collection<StoredSubscription>
  collectionOf(name: string): Collection<StoredRow>
  tombstonesOf(name: string): TombstoneMemory
  collections: Record<string, { primaryKey: string }>
  /** Whether the subscription answers for a row: it holds it, or shows it and nobody else vouches for it. */
  answersFor(subscription: StoredSubscription): (doc: StoredRow) => boolean
  /** Takes a row from one holder (the local store's rule for overlapping subscriptions). */
  release(collection: Collection<StoredRow>, held: StoredRow, holder: number, applied: AppliedPage, primaryKey: string): void
  /** Something changed: a save is due. */
  changed(): void
}

/**
 * A repair of one stored subscription (docs/protocol.md, "Digest"): see {@link RepairSession}.
 * Its pull from the beginning lands page by page while the stored checkpoint stays put; the last
 * page sweeps what the repair did not bring, in the same synchronous step as the new checkpoint.
 * (Long because it is a factory: its length is the short methods of the object it returns, closed over one shared state; splitting it would pass that state around instead.)
 */
export function createRepairSession({ key, reached, subscriptions, collectionOf, tombstonesOf, collections, answersFor, release, changed }: RepairContext): RepairSession {
  const begun = subscriptions.by('key', key)
  if (!begun) throw new ReplicaError('unknown_subscription', `No stored subscription "${key}" to repair`)
  const { collection: name, id: holder } = begun
  const collection = collectionOf(name)
  const gone = tombstonesOf(name)
  const { primaryKey } = collections[name] as { primaryKey: string }
  // Keys whose last change in the repair's stream so far is a live row.
  const seen = new Set<string>()
  // Of those, rows the repair brought at an older version than the one held, and their rows.
  const behind = new Map<string, { version: Version; row: Row }>()
  // The highest version the server has streamed: every version up to it is final on the server.
  let reach: Version | undefined = reached
  let checkpoint: Checkpoint | null = null
  let done = false
  let swept = false
  const dropHolder = (held: StoredRow, applied: AppliedPage) => release(collection, held, holder, applied, primaryKey)
  return {
    get checkpoint() {
      return checkpoint
    },
    get swept() {
      return swept
    },
    applyPage(page) {
      if (done) throw new ReplicaError('storage', 'This repair has already ended')
      const stored = subscriptions.by('key', key)
      if (!stored || stored.id !== holder) throw new ReplicaError('unknown_subscription', `The subscription "${key}" went away during its repair`)
      const applied: AppliedPage = { upserted: [], removed: [] }
      for (const change of page.changes) if (reach === undefined || compareVersions(change.version, reach) > 0) reach = change.version
      for (const change of lastChangePerKey(page.changes)) {
        const k = String(change.key)
        const held = collection.by('k', k)
        behind.delete(k)
        if (change.deleted) {
          // A row not brought yet is left to the final sweep: a newer version may still come.
          if (!seen.delete(k)) continue
          if (held && held.s.includes(holder)) dropHolder(held, applied)
          continue
        }
        seen.add(k)
        // An older row than the one held is decided at the end: a newer version may yet come.
        if (held && compareVersions(change.version, held.v) < 0) behind.set(k, { version: change.version, row: change.row })
        const shown = holdRow(collection, k, held, change, holder, gone)
        if (shown) applied.upserted.push(shown)
      }
      checkpoint = page.checkpoint
      stored.received += page.changes.length
      if (!page.hasMore && page.heldBack) {
        // Committed rows the horizon holds back were not brought: not bringing a row proves
        // nothing, so nothing is swept and the stored checkpoint stays. The rows brought stay.
        done = true
      } else if (!page.hasMore) {
        done = true
        swept = true
        // Rows held at a version past what the server has streamed were written since (another
        // subscription or a settled local write brought them): the next catch-up decides them.
        const answers = answersFor(stored)
        const stale = collection.data.filter(
          (doc) => !seen.has(doc.k) && (reach === undefined || compareVersions(doc.v, reach) <= 0) && answers(doc),
        )
        for (const held of stale) dropHolder(held, applied)
        // The server's latest version of these rows is older than the one held, although the
        // held one is within what the stream reached (so was written before): the server went
        // back in time (a backup restored). Its row wins. A held version past the reach may be
        // a newer write another subscription brought; the stream would have brought it too.
        for (const [k, { version, row }] of behind) {
          const held = collection.by('k', k)
          if (!held || reach === undefined || compareVersions(held.v, version) <= 0 || compareVersions(held.v, reach) > 0) continue
          held.v = version
          held.r = row
          collection.update(held)
          applied.upserted.push(row)
        }
        stored.checkpoint = page.checkpoint
      }
      subscriptions.update(stored)
      changed()
      return applied
    },
  }
}
