import type Loki from 'lokijs'
import type { Key, Version } from '../core/protocol'
import { matchesFilter } from '../core/scope'
import type { AppliedPage, StoredSubscription } from './localStoreTypes'
import type { Collection, StoredRow } from './rows'
import { rememberedTombstones } from './tombstones'
import type { TombstoneDoc, TombstoneMemory } from './tombstones'
import { compareVersions } from '../core/versions'

/**
 * Who vouches for a stored row (docs/protocol.md, "Client semantics"): the running streams that
 * hold it, a pending local write, or, for a row a subscription shows that neither vouches for,
 * that subscription itself, which must then account for it (its digest counts it, its sweeps may
 * remove it). What a subscription shows is exactly what one of them vouches for.
 */
export interface Vouching {
  /** Marks a subscription's stream as running (counted: a loop winding down and its successor may overlap). */
  activate(key: string): void
  deactivate(key: string): void
  /** Whether a subscription's stream runs now. */
  isRunning(key: string): boolean
  /**
   * Takes a row from one holder: the row stays while another running stream holds it; otherwise it
   * goes, and each stopped holder starts its stream over from the beginning when it runs again.
   */
  release(collection: Collection<StoredRow>, held: StoredRow, holder: number, applied: AppliedPage, primaryKey: string): void
  /** A tombstone of `sub`'s stream at `version` for a held row. */
  passTombstone(collection: Collection<StoredRow>, held: StoredRow, version: Version, sub: StoredSubscription, applied: AppliedPage, primaryKey: string): void
  /** The rows `sub` must account for: those it holds, and those it shows that nobody else vouches for. */
  answering(sub: StoredSubscription): (doc: StoredRow) => boolean
  /** `sub`'s stream caught up completely: see `LocalStore.caughtUp`. */
  caughtUp(sub: StoredSubscription, applied: AppliedPage): void
}

export interface VouchingContext {
  subscriptions: Collection<StoredSubscription>
  rowsOf(collection: string): Collection<StoredRow>
  primaryKeys: Record<string, { primaryKey: string }>
  tombstones: Loki.Collection<TombstoneDoc>
  tombstonesOf(collection: string): TombstoneMemory
  isPending(collection: string, k: string): boolean
}

/** Who vouches for each row. (Long because it is a factory: its length is the short methods of the object it returns, closed over one shared state; splitting it would pass that state around instead.) */
export function createVouching({ subscriptions, rowsOf, primaryKeys, tombstones, tombstonesOf, isPending }: VouchingContext): Vouching {
  // Keys of subscriptions whose streams run now, with how many loops run each.
  const running = new Map<string, number>()
  const runningIds = () => new Set(subscriptions.data.filter((doc) => running.has(doc.key)).map((doc) => doc.id))
  const primaryKeyOf = (name: string) => (primaryKeys[name] as { primaryKey: string }).primaryKey

  // Per collection, keys still held although a newer tombstone passed: another running stream
  // held them, and its stream brings their newer state. Once no running stream holds such a row,
  // nobody vouches for it. Rebuilt from the remembered tombstones at open.
  const outdated = new Map<string, Set<string>>()
  const outdatedIn = (name: string) => {
    let keys = outdated.get(name)
    if (!keys) outdated.set(name, (keys = new Set()))
    return keys
  }
  for (const { collection: name, k, v } of rememberedTombstones(tombstones)) {
    const held = primaryKeys[name] ? rowsOf(name).by('k', k) : undefined
    if (held && compareVersions(held.v, v) < 0) outdatedIn(name).add(k)
  }

  /** A row `sub` shows although it does not hold it, and that nobody else vouches for. */
  const unvouched = (doc: StoredRow, sub: StoredSubscription, live: Set<number>) =>
    !doc.s.includes(sub.id) && matchesFilter(doc.r, sub.filter) && !doc.s.some((id) => live.has(id)) && !isPending(sub.collection, doc.k)

  const release: Vouching['release'] = (collection, held, holder, applied, primaryKey) => {
    const rest = held.s.filter((id) => id !== holder)
    const others = subscriptions.data.filter((doc) => rest.includes(doc.id))
    if (others.some((doc) => running.has(doc.key))) {
      held.s = rest
      collection.update(held)
      return
    }
    for (const dormant of others) {
      dormant.checkpoint = null
      subscriptions.update(dormant)
    }
    collection.remove(held)
    applied.removed.push(held.r[primaryKey] as Key)
  }

  /**
   * Rows kept past a tombstone by a running stream that has since stopped without bringing their
   * newer state go; rows brought up to date, or still held by a running stream, are left.
   * O(such rows), which is almost always none.
   */
  const dropOutdated = (name: string, applied: AppliedPage) => {
    const keys = outdated.get(name)
    if (!keys || keys.size === 0) return
    const collection = rowsOf(name)
    const gone = tombstonesOf(name)
    const live = runningIds()
    for (const k of [...keys]) {
      const held = collection.by('k', k)
      if (!held || gone.admits(k, held.v)) keys.delete(k)
      else if (!held.s.some((id) => live.has(id)) && !isPending(name, k)) {
        keys.delete(k)
        release(collection, held, 0, applied, primaryKeyOf(name))
      }
    }
  }

  return {
    activate(key) {
      running.set(key, (running.get(key) ?? 0) + 1)
    },
    deactivate(key) {
      const count = (running.get(key) ?? 0) - 1
      if (count > 0) running.set(key, count)
      else running.delete(key)
    },
    isRunning: (key) => running.has(key),
    release,

    /**
     * The tombstone speaks for every row held at an older version that is in the subscription's
     * scope (held for it, or matching its filter), whoever brought that row: a row another stream
     * brought, or a push answer stored, is not kept alive by the tombstone's stream being a
     * stranger to it.
     */
    passTombstone(collection, held, version, sub, applied, primaryKey) {
      const holds = held.s.includes(sub.id)
      if (compareVersions(held.v, version) >= 0) {
        // The row held is as new as the tombstone or newer (a move into another subscription's
        // filter, a push answer): the tombstone says nothing about it, but this stream no longer
        // vouches for it.
        if (holds) {
          held.s = held.s.filter((id) => id !== sub.id)
          collection.update(held)
        }
        return
      }
      if (!holds && !matchesFilter(held.r, sub.filter)) return
      // Whether the row goes or another running stream keeps it, no source may store it again at a
      // version older than this tombstone.
      tombstonesOf(sub.collection).record(held.k, version)
      release(collection, held, sub.id, applied, primaryKey)
      if (collection.by('k', held.k)) outdatedIn(sub.collection).add(held.k)
    },

    answering(sub) {
      const live = runningIds()
      return (doc) => doc.s.includes(sub.id) || unvouched(doc, sub, live)
    },

    caughtUp(sub, applied) {
      dropOutdated(sub.collection, applied)
      if (!sub.sweepDue) return
      // A stream from the beginning vouches for every row in its scope: what it did not bring,
      // nobody vouches for, is no longer the server's.
      const collection = rowsOf(sub.collection)
      const live = runningIds()
      for (const doc of collection.data.filter((doc) => unvouched(doc, sub, live))) release(collection, doc, sub.id, applied, primaryKeyOf(sub.collection))
      delete sub.sweepDue
      subscriptions.update(sub)
    },
  }
}
