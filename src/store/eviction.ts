import type { Key } from '../core/protocol'
import { matchesFilter } from '../core/scope'
import { indexHolders } from './holderIndex'
import type { HolderIndex } from './holderIndex'
import type { ScopeEviction, StoredSubscription } from './localStoreTypes'
import type { Collection, StoredRow } from './rows'

/** What evicting needs of the local store it runs in. */
export interface EvictionContext {
  subscriptions: Collection<StoredSubscription>
  rowsOf(collection: string): Collection<StoredRow>
  primaryKeys: Record<string, { primaryKey: string }>
  isPending(collection: string, k: string): boolean
  /** Whether a subscription's stream runs now (see `Vouching.activate`). */
  isRunning(key: string): boolean
  /** Something changed: a save is due. */
  changed(): void
}

export interface Eviction {
  /** See `LocalStore.evictScope`. */
  evictScope(key: string): ScopeEviction | undefined
  /** See `LocalStore.evictAfterWrites`. */
  afterWrites(): ScopeEviction[]
}

/**
 * Takes scopes nobody uses out of the local database (docs/eviction.md). A row of the scope stays
 * if another stored subscription holds it or its filter matches it (that subscription shows it,
 * and its stream and digest account for it, as for any row it shows), or if it has pending
 * writes; every other row of the scope goes, with the scope's stored subscription and cursor.
 */
export function createEviction(ctx: EvictionContext): Eviction {
  const { subscriptions, rowsOf, primaryKeys, isPending } = ctx
  const indexes = new Map<string, HolderIndex>(Object.keys(primaryKeys).map((name) => [name, indexHolders(rowsOf(name))]))
  // Rows a scope left behind that nobody holds, kept for another subscription whose filter
  // matches them (by its id) or for their pending writes (by collection, with the scope's key):
  // they go with that subscription, or once their writes are answered, unless taken up meanwhile.
  const entrusted = new Map<number, Set<string>>()
  const awaitingWrites = new Map<string, Map<string, string>>()
  const keyOf = (collection: string, doc: StoredRow) => doc.r[(primaryKeys[collection] as { primaryKey: string }).primaryKey] as Key
  const othersOf = (collection: string, except?: number) => subscriptions.data.filter((sub) => sub.collection === collection && sub.id !== except)
  const matching = (doc: StoredRow, others: StoredSubscription[]) => others.filter((sub) => matchesFilter(doc.r, sub.filter))

  /** Takes `id` from a row; removes the row unless someone else wants it. Returns whether it was removed. */
  function letGo(name: string, collection: Collection<StoredRow>, doc: StoredRow, id: number, key: string, others: StoredSubscription[]): boolean {
    // Its id may be given to a later subscription: no row may still name it.
    if (doc.s.includes(id)) {
      doc.s = doc.s.filter((holder) => holder !== id)
      collection.update(doc)
    }
    if (doc.s.length > 0) return false
    const shownBy = matching(doc, others)
    for (const sub of shownBy) setOf(entrusted, sub.id).add(doc.k)
    const pending = isPending(name, doc.k)
    if (pending) mapOf(awaitingWrites, name).set(doc.k, key)
    if (shownBy.length > 0 || pending) return false
    collection.remove(doc)
    return true
  }

  return {
    evictScope(key) {
      const sub = subscriptions.by('key', key)
      if (!sub || ctx.isRunning(key)) return undefined
      const { collection: name, id } = sub
      const collection = rowsOf(name)
      const others = othersOf(name, id)
      const eviction: ScopeEviction = { key, collection: name, removed: [], kept: 0 }
      const left = entrusted.get(id) ?? []
      entrusted.delete(id)
      for (const k of (indexes.get(name) as HolderIndex).take(id)) {
        const doc = collection.by('k', k)
        if (!doc || !doc.s.includes(id)) continue
        if (letGo(name, collection, doc, id, key, others)) eviction.removed.push(keyOf(name, doc))
        else eviction.kept++
      }
      // Rows another scope left to this one that nobody has taken up since.
      for (const k of left) {
        const doc = collection.by('k', k)
        if (doc && doc.s.length === 0 && letGo(name, collection, doc, id, key, others)) eviction.removed.push(keyOf(name, doc))
      }
      subscriptions.remove(sub)
      ctx.changed()
      return eviction
    },

    afterWrites() {
      const out: ScopeEviction[] = []
      for (const [name, waiting] of awaitingWrites) {
        const collection = rowsOf(name)
        const others = othersOf(name)
        for (const [k, key] of waiting) {
          if (isPending(name, k)) continue
          waiting.delete(k)
          const doc = collection.by('k', k)
          if (!doc || doc.s.length > 0 || !letGo(name, collection, doc, 0, key, others)) continue
          let eviction = out.find((e) => e.key === key)
          if (!eviction) out.push((eviction = { key, collection: name, removed: [], kept: 0 }))
          eviction.removed.push(keyOf(name, doc))
        }
      }
      if (out.length > 0) ctx.changed()
      return out
    },
  }
}

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key)
  if (!set) map.set(key, (set = new Set()))
  return set
}

function mapOf<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key)
  if (!inner) map.set(key, (inner = new Map()))
  return inner
}
