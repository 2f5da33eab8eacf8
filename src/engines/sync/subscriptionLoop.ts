import type { Dispatch, SerializedError } from '@reduxjs/toolkit'
import type { Filter } from '../../core/protocol'
import type { ReplicaActions } from '../../state/actions'
import type { SubscriptionStatus } from '../../state/reducer'
import type { LocalStore, RepairSession } from '../../store/localStore'
import type { Alarm } from '../../runtime/alarm'
import type { Connectivity } from '../../runtime/connectivity'
import { checkDigestIfDue, pullRepair } from './digest'
import type { PullTrigger, ReplicaEvent } from '../../runtime/events'
import { guardTransport } from '../../runtime/guardedTransport'
import { retry } from '../../runtime/retryer'
import type { RetryContext } from '../../runtime/retryer'
import type { Limiter } from '../../runtime/limiter'
import { sleep } from '../../runtime/timers'
import type { LiveSyncConfig } from '../liveOptions'
import { pullUntilCaughtUp } from './pull'
import type { PullOptions } from './pull'
import type { Transport } from '../../core/pullWire'

/** What every subscription's loop shares: one set per store. */
export interface LoopServices {
  actions: ReplicaActions
  dispatch: Dispatch
  transport: Transport
  pageSize: number
  now: () => number
  live: LiveSyncConfig
  limiter: Limiter
  connectivity: Connectivity
  emit: (event: ReplicaEvent) => void
  /** Whether the live channel is up (pokes arrive), which makes a held-back pull worth retrying soon. */
  channelUp: () => boolean
}

/** One subscription, as its loop sees it. */
export interface LoopTarget {
  key: string
  collection: string
  filter: Filter
  primaryKey: string
  /** Read before each wait, since subscribers may come and go with their own intervals. */
  pollingInterval: () => number
}

/** What a repair's pull counts as it goes. */
interface RepairCounts {
  session: RepairSession
  upserted: number
  removed: number
}

/** How one pull ended: caught up, gave up until the next trigger, or stopped for good. */
type PullOutcome = 'synced' | 'exhausted' | 'stopped'

/**
 * The life of one subscription: catch up, then stay live (poll, and pull at once when the alarm
 * rings for focus or reconnect) until `signal` aborts. Runs until aborted, or until a failure that
 * no retry can fix (a 4xx), after which it waits for unsubscribe. Never dispatches after abort.
 * (Long because its inner functions share the loop's status and last pull; the retry rules are
 * the retryer's, the pull's and digest's steps are in ./pull.ts and ./digest.ts.)
 */
export async function runSubscriptionLoop(services: LoopServices, target: LoopTarget, store: LocalStore, alarm: Alarm, signal: AbortSignal): Promise<void> {
  const { actions, emit, connectivity, live } = services
  const { key } = target
  const dispatch = (action: Parameters<Dispatch>[0]) => {
    if (!signal.aborted) services.dispatch(action)
  }
  // Mirrors the status this loop last put in Redux, so it dispatches only changes.
  let status: SubscriptionStatus = 'idle'
  const enter = (next: 'syncing' | 'offline') => {
    if (status === next) return
    status = next
    dispatch(next === 'syncing' ? actions.syncStarted({ key }) : actions.syncOffline({ key }))
  }
  const fail = (error: SerializedError, stopped: boolean) => {
    status = 'error'
    dispatch(actions.syncFailed({ key, error }))
    emit({ type: 'failed', key, error, stopped })
  }

  // The retryer's view of the pull under way, for the attempt each request reports.
  let current: RetryContext | undefined
  const guards = { limiter: services.limiter, connectivity, timers: live.timers, timeout: live.timeout }
  const transport = guardTransport(services.transport, {
    ...guards,
    onRequest: () => {
      alarm.reset()
      emit({ type: 'requestSent', key, attempt: current?.attempt() ?? 0 })
    },
  })

  // Changes the last pullWithRetries brought, and whether its last page said the server holds
  // changes back (the digest check asks).
  let lastReceived = 0
  let lastHeldBack = false

  /** One catch-up (or, given a repair, the repair's pull to its end) until the server has no more. */
  async function pullOnce(context: RetryContext, received: { count: number }, repair?: RepairCounts): Promise<void> {
    const end = await (repair ? (options: PullOptions) => pullRepair({ ...options, session: repair.session }) : pullUntilCaughtUp)({
      transport,
      store,
      key,
      collection: target.collection,
      filter: target.filter,
      primaryKey: target.primaryKey,
      pageSize: services.pageSize,
      signal,
      onPage(applied, page) {
        context.progress()
        received.count += page.changes.length
        if (repair) {
          repair.upserted += applied.upserted.length
          repair.removed += applied.removed.length
        }
        if (page.hasMore && page.changes.length > 0) enter('syncing')
        const remaining = page.remaining === undefined ? {} : { remaining: page.remaining }
        dispatch(actions.pageApplied({ key, collection: target.collection, ...applied, received: page.changes.length, ...remaining }))
        emit({ type: 'pageApplied', key, received: page.changes.length, upserted: applied.upserted.length, removed: applied.removed.length, hasMore: page.hasMore, ...remaining })
      },
    })
    if (status !== 'synced') {
      // The first catch-up is saved before it reports 'synced', so an app may go offline then.
      // A live pull's rows are left to the save queue (within saveInterval): a file database
      // is rewritten whole, and awaiting that after every one-row change blocked 0.4 s at 100k
      // rows. A failed save is the storage's trouble, not this pull's: the save queue reports
      // it (storageFailed) and retries; stopping the sync would not help.
      await store.flush().catch(() => {})
    }
    signal.throwIfAborted()
    lastHeldBack = end.heldBack
  }

  /** Catches up (or repairs) through the retryer; says how it ended, in state and in events. */
  async function pullWithRetries(repair?: RepairCounts): Promise<PullOutcome> {
    const received = { count: 0 }
    // A poll of a caught-up subscription stays 'synced' unless it brings rows (see onPage).
    if (status === 'idle' || status === 'error') enter('syncing')
    const hook = live.onUnauthorized
    const outcome = await retry(
      (context) => {
        current = context
        return pullOnce(context, received, repair)
      },
      {
        key,
        connectivity,
        timers: live.timers,
        backoff: live.backoff,
        retries: live.retries,
        signal,
        ...(hook ? { refreshCredentials: (error: SerializedError) => hook({ collection: target.collection, filter: target.filter, error }) } : {}),
        onGate: () => enter('offline'),
        // Not a failure: the loop waits at the gate; probes there are rate-limited.
        onOffline: (error) => {
          if (status !== 'offline') emit({ type: 'offline', key, error })
        },
        onUnauthorized: (refreshing) => emit({ type: 'unauthorized', key, refreshing }),
        onRetry: (wait) => {
          if (status === 'offline') enter('syncing')
          emit({ type: 'retryScheduled', key, ...wait })
        },
      },
    )
    if (outcome.ok) {
      const at = new Date(services.now()).toISOString()
      status = 'synced'
      dispatch(actions.syncSucceeded({ key, at }))
      emit({ type: 'synced', key, at })
      lastReceived = received.count
      return 'synced'
    }
    const exhausted = outcome.kind === 'exhausted'
    fail(outcome.kind === 'unauthorized' ? (outcome.hookError ?? outcome.error) : outcome.error, !exhausted)
    return exhausted ? 'exhausted' : 'stopped'
  }

  /** The periodic digest check (./digest.ts), right after a catch-up. */
  const checkDigest = () =>
    checkDigestIfDue({
      key,
      collection: target.collection,
      filter: target.filter,
      store,
      transport: services.transport,
      guards,
      backoff: live.backoff,
      interval: live.digestInterval,
      now: services.now,
      emit,
      signal,
      heldBack: () => lastHeldBack,
      repaired({ upserted, removed }) {
        emit({ type: 'digestRepaired', key, upserted, removed })
        dispatch(actions.repaired({ key, upserted, removed, at: new Date(services.now()).toISOString() }))
      },
      async catchUp(trigger) {
        emit({ type: 'pullStarted', key, trigger })
        const outcome = await pullWithRetries()
        return { outcome, received: lastReceived, heldBack: lastHeldBack }
      },
      async repair(session, trigger) {
        emit({ type: 'pullStarted', key, trigger })
        const counts = { session, upserted: 0, removed: 0 }
        const outcome = await pullWithRetries(counts)
        return { outcome, upserted: counts.upserted, removed: counts.removed }
      },
    })

  let trigger: PullTrigger = 'subscribe'
  let heldBackWait = HELD_BACK_FIRST_MS
  let lastPullAt = -Infinity
  let lastPullEndedAt = -Infinity
  let spacing = POKE_SPACING_MS
  for (;;) {
    // A poke pulls at once after a quiet spell. Pokes that keep coming (a burst of writes) are
    // spaced out, the space doubling up to POKE_SPACING_MAX_MS: those arriving meanwhile fold into
    // the next pull, so a storm of any length costs a handful of pulls, not one per write.
    // The quiet spell is counted from the END of the last pull: a poke that rang while a slow pull
    // ran belongs to the same storm (counted from its start, slow pulls would each look like the
    // end of a storm, and a loaded machine would pull once per pull, back to back).
    if (trigger === 'poke') {
      const now = services.now()
      if (now - lastPullEndedAt > spacing) spacing = POKE_SPACING_MS
      else {
        const since = now - lastPullAt
        if (since < spacing) await sleep(live.timers, spacing - since, signal)
        spacing = Math.min(spacing * 2, POKE_SPACING_MAX_MS)
      }
    }
    lastPullAt = services.now()
    emit({ type: 'pullStarted', key, trigger })
    const outcome = await pullWithRetries()
    lastPullEndedAt = services.now()
    if (outcome === 'stopped') return
    if (outcome === 'synced' && (await checkDigest()) === 'stopped') return
    const interval = target.pollingInterval()
    // A poke announced a commit that a transaction still open elsewhere holds back (PostgreSQL):
    // no second poke comes when that transaction ends, so look again soon rather than at the poll.
    if (outcome === 'synced' && lastHeldBack && services.channelUp()) {
      const wait = interval > 0 ? Math.min(interval, heldBackWait) : heldBackWait
      heldBackWait = Math.min(heldBackWait * 1.5, HELD_BACK_MAX_MS)
      trigger = await alarm.wait(wait, signal)
      if (trigger === 'poll') trigger = 'heldBack'
    } else {
      heldBackWait = HELD_BACK_FIRST_MS
      trigger = await alarm.wait(interval, signal)
    }
  }
}

/** Shortest time between the starts of two pulls when the second is for a poke, in ms; it doubles while pokes keep coming, up to the max. */
const POKE_SPACING_MS = 100
const POKE_SPACING_MAX_MS = 2_000

/**
 * The first wait before pulling again a scope whose changes are held back, in ms; it grows by half
 * up to the max. A write transaction usually holds the horizon for a few ms, rarely for long.
 */
const HELD_BACK_FIRST_MS = 25
const HELD_BACK_MAX_MS = 5_000
