import { createSelector, lruMemoize } from '@reduxjs/toolkit'
import type { ReplicaState, SubscriptionState, SubscriptionStatus } from './reducer'

/** Where the whole replica stands, for a sync indicator in the app's chrome. */
export interface SyncState {
  /**
   * The most pressing status of any subscription: `error` over `offline` over `syncing` over
   * `synced` over `idle` (no subscription, or none started yet).
   */
  status: SubscriptionStatus
  /** Subscriptions in each status. */
  counts: Record<SubscriptionStatus, number>
  /** Changes received, summed over subscriptions. */
  received: number
  /** Changes left, summed over the subscriptions whose server says; absent when none says. */
  remaining?: number
  /** The oldest `lastSyncedAt` among synced subscriptions: how stale the stalest data may be. */
  lastSyncedAt?: string
}

const PRIORITY: SubscriptionStatus[] = ['error', 'offline', 'syncing', 'synced', 'idle']

/** Builds `selectSyncState`, memoized on the subscriptions object (so `useSelector` keeps its result). */
export function buildSyncSelectors<S>(select: (state: S) => ReplicaState) {
  const selectSyncState = createSelector([(state: S) => select(state).subscriptions], (subscriptions) => summarize(Object.values(subscriptions)), {
    memoize: lruMemoize,
    argsMemoize: lruMemoize,
  })
  return {
    /**
     * The replica's overall sync state.
     * @example
     * const { status, remaining } = useSelector(replica.selectors.selectSyncState)
     * if (status === 'offline') showBanner('Offline: showing saved data')
     */
    selectSyncState: selectSyncState as (state: S) => SyncState,
  }
}

function summarize(subscriptions: SubscriptionState[]): SyncState {
  const counts: Record<SubscriptionStatus, number> = { idle: 0, syncing: 0, synced: 0, offline: 0, error: 0 }
  let received = 0
  let remaining: number | undefined
  let lastSyncedAt: string | undefined
  for (const subscription of subscriptions) {
    counts[subscription.status]++
    received += subscription.received
    if (subscription.remaining !== undefined) remaining = (remaining ?? 0) + subscription.remaining
    // ISO strings of one clock compare in time order.
    if (subscription.status === 'synced' && subscription.lastSyncedAt && (!lastSyncedAt || subscription.lastSyncedAt < lastSyncedAt)) {
      lastSyncedAt = subscription.lastSyncedAt
    }
  }
  const status = PRIORITY.find((candidate) => counts[candidate] > 0) ?? 'idle'
  const summary: SyncState = { status, counts, received }
  if (remaining !== undefined) summary.remaining = remaining
  if (lastSyncedAt !== undefined) summary.lastSyncedAt = lastSyncedAt
  return summary
}
