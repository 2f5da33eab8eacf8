import type { SerializedError } from '@reduxjs/toolkit'
import { toSerializedError } from '../core/errors'
import { backoff } from './backoff'
import type { BackoffPolicy } from './backoff'
import type { Connectivity } from './connectivity'
import { classifyFailure } from './failures'
import { sleep } from './timers'
import type { Timers } from './timers'

/** How a retried operation ended when it did not succeed (./failures.ts has the rules). */
export type GiveUp =
  /** A failure no retry fixes: a 4xx other than 401, a storage failure, a stalled cursor. */
  | { kind: 'fatal'; error: SerializedError; cause: unknown }
  /** A 401 that refreshing credentials did not fix (`hookError`: the refresh itself threw). */
  | { kind: 'unauthorized'; error: SerializedError; hookError?: SerializedError }
  /** Transient failures, `retries` times over. */
  | { kind: 'exhausted'; error: SerializedError }
  /** No network, for an operation that does not wait for it (`waitOffline: false`). */
  | { kind: 'offline'; error: SerializedError }

export type RetryOutcome<T> = { ok: true; value: T } | ({ ok: false } & GiveUp)

/** What the operation may tell the retryer while it runs. */
export interface RetryContext {
  /** Retries of the current request so far, from 0. */
  attempt(): number
  /** The operation made progress (a page landed): later failures start counting afresh. */
  progress(): void
}

export interface RetryPolicy {
  /** Who waits at the offline gate (a subscription's key, `push`). */
  key: string
  connectivity: Connectivity
  timers: Timers
  backoff: BackoffPolicy
  /** Transient failures retried before giving up (`Infinity`: never give up). */
  retries: number
  signal: AbortSignal
  /** Wait at the offline gate before each try (default), or give up (`offline`) when the network is gone. */
  waitOffline?: boolean
  /** Asked once per run after a 401; unless it returns false the operation is tried again. */
  refreshCredentials?: (error: SerializedError) => boolean | void | Promise<boolean | void>
  /** The wait before a retry. Default: sleep for `ms`; the push loop waits on an alarm instead. */
  wait?: (ms: number) => Promise<unknown>
  // What the caller shows of it (status in state, events):
  onGate?(): void
  onOffline?(error: SerializedError): void
  onUnauthorized?(refreshing: boolean): void
  onRetry?(retry: { attempt: number; delay: number; ceiling: number; retryAfter: boolean; error: SerializedError }): void
}

/**
 * The one retry loop of the replica, for pulls, pushes and digests alike, in the spirit of
 * TanStack Query's `createRetryer`: wait at the offline gate, run the operation, and on a failure
 * decide by its kind (./failures.ts): wait for the network, refresh credentials once, back off
 * (or honour `Retry-After`) and try again, or give up and say why. Rejects only on abort.
 */
export async function retry<T>(operation: (context: RetryContext) => Promise<T>, policy: RetryPolicy): Promise<RetryOutcome<T>> {
  const { connectivity, signal } = policy
  let attempt = 0
  let refreshed = false
  const context: RetryContext = {
    attempt: () => attempt,
    progress() {
      attempt = 0
      refreshed = false
    },
  }
  for (;;) {
    if (policy.waitOffline !== false && !connectivity.isOnline()) {
      policy.onGate?.()
      await connectivity.whenOnline(policy.key, signal)
    }
    try {
      return { ok: true, value: await operation(context) }
    } catch (error) {
      if (signal.aborted) throw error
      const failure = classifyFailure(error)
      const serialized = toSerializedError(error)
      if (failure.kind === 'offline') {
        connectivity.reportNetworkError()
        if (policy.waitOffline === false) return { ok: false, kind: 'offline', error: serialized }
        policy.onOffline?.(serialized)
        continue
      }
      if (failure.kind === 'unauthorized') {
        const refreshing = policy.refreshCredentials !== undefined && !refreshed
        policy.onUnauthorized?.(refreshing)
        if (!refreshing) return { ok: false, kind: 'unauthorized', error: serialized }
        refreshed = true
        let verdict: boolean | void
        try {
          verdict = await policy.refreshCredentials!(serialized)
        } catch (hookError) {
          if (signal.aborted) throw hookError
          return { ok: false, kind: 'unauthorized', error: serialized, hookError: toSerializedError(hookError) }
        }
        signal.throwIfAborted()
        if (verdict !== false) continue
        return { ok: false, kind: 'unauthorized', error: serialized }
      }
      if (failure.kind === 'fatal') return { ok: false, kind: 'fatal', error: serialized, cause: error }
      if (attempt >= policy.retries) return { ok: false, kind: 'exhausted', error: serialized }
      const wait = failure.retryAfter === undefined ? backoff(attempt, policy.backoff) : { delay: failure.retryAfter, ceiling: failure.retryAfter }
      attempt++
      policy.onRetry?.({ attempt, ...wait, retryAfter: failure.retryAfter !== undefined, error: serialized })
      await (policy.wait ? policy.wait(wait.delay) : sleep(policy.timers, wait.delay, signal))
    }
  }
}
