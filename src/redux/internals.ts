import type { MiddlewareAPI } from '@reduxjs/toolkit'
import type { Transport } from '../core/pullWire'
import type { ConflictDecision, ConflictInfo } from '../core/writeTypes'
import type { ReplicaActions } from '../state/actions'
import type { Persistence } from '../store/persistence'
import type { PushTransport } from '../transport/httpPush'
import type { LiveSyncConfig } from '../engines/liveOptions'
import { safeEmitter } from '../runtime/events'
import { createLiveRuntime } from '../runtime/liveRuntime'
import { createSyncEngine } from '../engines/sync/engine'
import { openAndHydrate } from './hydrate'
import type { ReplicaHandle, SyncEngine } from '../engines/sync/engine'
import { createWriteEngine } from '../engines/writes/pushLoop'
import type { WriteEngine } from '../engines/writes/pushLoop'

/** What `createReplica` resolved from its options: the same for every store the replica serves. */
export interface ReplicaSetup {
  actions: ReplicaActions
  transport: Transport
  /** Where writes go (`push`, else the transport if it can push). */
  push: PushTransport | undefined
  persistence: Persistence
  /** Collection name to its primary-key field. */
  primaryKeys: Record<string, string>
  pageSize: number
  saveInterval: number | undefined
  pushBatchSize: number
  onConflict: ((conflict: ConflictInfo) => ConflictDecision) | undefined
  now: () => number
  live: LiveSyncConfig
  /** Default `keepUnusedDataFor` in seconds, and `maxRows` by collection (docs/eviction.md). */
  eviction: { keepUnusedDataFor: number; maxRows: Record<string, number> }
}

/**
 * One store's moving parts: its sync engine and write engine, made when the middleware is
 * installed in the store, and kept outside Redux state (they hold promises and timers). RTK
 * Query keeps its per-store internal state the same way.
 */
export interface StoreInternals {
  setup: ReplicaSetup
  sync: SyncEngine
  writes: WriteEngine
  /** What `store.replica` exposes. */
  handle: ReplicaHandle
}

export function createStoreInternals(setup: ReplicaSetup, api: MiddlewareAPI): StoreInternals {
  const { live } = setup
  const emit = safeEmitter(live.onEvent)
  const runtime = createLiveRuntime({
    onlineManager: live.onlineManager,
    focusManager: live.focusManager,
    timers: live.timers,
    backoff: live.backoff,
    maxConcurrentPulls: live.maxConcurrentPulls,
    now: setup.now,
    emit,
  })
  const collections = Object.fromEntries(Object.entries(setup.primaryKeys).map(([name, primaryKey]) => [name, { primaryKey }]))
  // Nothing is dispatched once the store's replica is closed.
  let closed = false
  const dispatch: MiddlewareAPI['dispatch'] = (action) => (closed ? action : api.dispatch(action))
  const localStore = openAndHydrate(
    { persistence: setup.persistence, collections, ...(setup.saveInterval === undefined ? {} : { saveInterval: setup.saveInterval }) },
    setup.actions,
    dispatch,
  )
  // A failed open is reported through state (hydrated with an error); whenHydrated() rejects.
  localStore.catch(() => {})
  const sync = createSyncEngine(
    {
      actions: setup.actions,
      transport: setup.transport,
      localStore,
      collections,
      pageSize: setup.pageSize,
      now: setup.now,
      live,
      runtime,
      emit,
      eviction: setup.eviction,
    },
    api,
  )
  const writes = createWriteEngine({
    actions: setup.actions,
    dispatch: api.dispatch,
    localStore,
    collections,
    transport: setup.push,
    live,
    runtime,
    onConflict: setup.onConflict,
    batchSize: setup.pushBatchSize,
    now: setup.now,
  })
  const handle: ReplicaHandle = {
    whenHydrated: sync.whenHydrated,
    flush: sync.flush,
    // Both stop at once, synchronously (a push in flight is resent next time, with the same ids).
    close: () => {
      closed = true
      runtime.dispose()
      return Promise.all([writes.stop(), sync.close()]).then(() => undefined)
    },
  }
  return { setup, sync, writes, handle }
}
