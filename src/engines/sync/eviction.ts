import type { Dispatch } from '@reduxjs/toolkit'
import type { ReplicaActions } from '../../state/actions'
import type { EvictedPayload } from '../../state/actions'
import type { LocalStore, ScopeEviction } from '../../store/localStoreTypes'
import type { ReplicaEvent } from '../../runtime/events'
import type { Timers } from '../../runtime/timers'

/** Default of `keepUnusedDataFor`, in seconds, as in RTK Query. */
export const DEFAULT_KEEP_UNUSED_DATA_FOR = 60

/** Longest delay one timer takes (setTimeout's 32-bit limit); longer waits chain timers. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface EvictorConfig {
  actions: ReplicaActions
  dispatch: Dispatch
  timers: Timers
  now: () => number
  emit: (event: ReplicaEvent) => void
  localStore: Promise<LocalStore>
  /** The replica's `keepUnusedDataFor`, in seconds. */
  keepUnusedDataFor: number
  /** `maxRows` by collection, for the collections that have one. */
  maxRows: Record<string, number>
  /** Whether a scope has a subscriber now. */
  isHeld(key: string): boolean
  /** Resolves when the loop of a scope whose last subscriber left has wound down (undefined: none is winding down). */
  windingDown(key: string): Promise<void> | undefined
}

/**
 * When unused scopes leave the local database and Redux (docs/eviction.md). Its timers live here,
 * in the store's internals, never in state; the eviction itself is the local store's
 * (`evictScope`), one synchronous step reported with one `evicted` action.
 */
export interface Evictor {
  /** The last subscriber of a scope left, asking that its data be kept `seconds` (Infinity: forever). */
  left(key: string, collection: string, seconds: number): void
  /** A scope has a subscriber again: nothing of it is evicted. */
  joined(key: string): void
  /** Pages added rows to a collection: past its `maxRows`, unused scopes go, least recently used first. */
  rowsAdded(collection: string): void
  /** Writes were answered: rows evicted scopes left behind for them may go now. */
  writesSettled(): void
  /** Cancels every timer. */
  close(): void
}

/** (Long because it is a factory: its length is the short methods of the object it returns, closed over one shared state.) */
export function createEvictor(config: EvictorConfig): Evictor {
  const { timers } = config
  // Per scope: its pending timer's cancel, and a count that changes with every join and leave,
  // so an eviction that waited (for the store, for a loop winding down) sees if it is still due.
  const timersOf = new Map<string, () => void>()
  const generation = new Map<string, number>()
  const lastUsed = new Map<string, number>()
  const due = new Set<string>()
  let closed = false
  let store: LocalStore | undefined

  const cancelTimer = (key: string) => {
    timersOf.get(key)?.()
    timersOf.delete(key)
  }
  const bump = (key: string) => {
    generation.set(key, (generation.get(key) ?? 0) + 1)
    cancelTimer(key)
  }

  const report = (eviction: ScopeEviction, reason: EvictedPayload['reason']) => {
    cancelTimer(eviction.key)
    lastUsed.delete(eviction.key)
    config.dispatch(config.actions.evicted({ ...eviction, reason }))
    config.emit({ type: 'evicted', key: eviction.key, removed: eviction.removed.length, kept: eviction.kept, reason })
  }

  /** Evicts a scope once its loop has wound down, if nobody subscribed meanwhile. */
  async function evictWhenIdle(key: string, reason: EvictedPayload['reason']): Promise<void> {
    const asOf = generation.get(key)
    const local = await config.localStore
    await config.windingDown(key)
    if (closed || generation.get(key) !== asOf || config.isHeld(key)) return
    const eviction = local.evictScope(key)
    if (eviction) report(eviction, reason)
  }

  function schedule(key: string, seconds: number): void {
    bump(key)
    if (seconds === Infinity) return
    const cancel = longTimeout(timers, seconds * 1000, () => {
      timersOf.delete(key)
      evictWhenIdle(key, 'unused').catch(() => {}) // a store that could not open has nothing to evict
    })
    timersOf.set(key, cancel)
  }

  /** Past `maxRows`, evicts unheld scopes of the collection, least recently used first. */
  function enforceMaxRows(collection: string): void {
    const max = config.maxRows[collection]
    if (max === undefined || !store || closed || store.rowCount(collection) <= max) return
    const usedAt = (sub: { key: string; lastSyncedAt?: string }) => lastUsed.get(sub.key) ?? (sub.lastSyncedAt ? Date.parse(sub.lastSyncedAt) : 0)
    const candidates = store.subscriptions().filter((sub) => sub.collection === collection && !config.isHeld(sub.key)).sort((a, b) => usedAt(a) - usedAt(b))
    for (const { key } of candidates) {
      if (store.rowCount(collection) <= max) return
      const winding = config.windingDown(key)
      if (winding) {
        // Its loop is still stopping: look again once it has.
        winding.then(() => recheck(collection), () => {})
        continue
      }
      const eviction = store.evictScope(key)
      if (eviction) report(eviction, 'maxRows')
    }
  }

  config.localStore.then((local) => {
    store = local
    if (closed) return
    // Scopes an earlier run stored that nobody subscribes to within the time of the start go too.
    for (const { key, collection } of local.subscriptions()) {
      // A scope subscribed (or left) before the store opened is already taken care of.
      if (!generation.has(key)) schedule(key, config.keepUnusedDataFor)
      due.add(collection)
    }
    checkDue()
  }, () => {})

  const recheck = (collection: string) => {
    due.add(collection)
    checkDue()
  }
  // Pages come in bursts: one check per collection per burst, after the dispatch that brought it.
  let checking = false
  function checkDue(): void {
    if (checking) return
    checking = true
    queueMicrotask(() => {
      checking = false
      for (const collection of [...due]) {
        due.delete(collection)
        enforceMaxRows(collection)
      }
    })
  }

  return {
    left(key, collection, seconds) {
      lastUsed.set(key, config.now())
      schedule(key, seconds)
      recheck(collection)
    },
    joined: bump,
    rowsAdded(collection) {
      if (config.maxRows[collection] !== undefined) recheck(collection)
    },
    writesSettled() {
      if (!store || closed) return
      for (const eviction of store.evictAfterWrites()) report(eviction, 'writesSettled')
    },
    close() {
      closed = true
      for (const cancel of timersOf.values()) cancel()
      timersOf.clear()
    },
  }
}

/**
 * `setTimeout` for any delay (a day of seconds is past its 32-bit limit), not keeping a Node
 * process alive for it: an eviction due later is not a reason to stay. Returns the cancel.
 */
function longTimeout(timers: Timers, ms: number, fire: () => void): () => void {
  let handle: unknown
  const step = (left: number) => {
    handle = timers.setTimeout(() => (left > MAX_TIMER_MS ? step(left - MAX_TIMER_MS) : fire()), Math.min(left, MAX_TIMER_MS))
    ;(handle as { unref?: () => void } | null)?.unref?.()
  }
  step(ms)
  return () => timers.clearTimeout(handle)
}
