import { describe, expect, it, vi } from 'vitest'
import { ReplicaError, createOnlineManager } from '../../src'
import { parseRetryAfter } from '../../src/protocol'
import type { ReplicaState } from '../../src'
import { buildSyncSelectors } from '../../src/state/syncSelectors'
import { backoff } from '../../src/runtime/backoff'
import { classifyFailure } from '../../src/runtime/failures'
import { createLimiter } from '../../src/runtime/limiter'

describe('backoff', () => {
  it('draws uniformly under a ceiling that doubles from baseDelay up to maxDelay', () => {
    const policy = { baseDelay: 1_000, maxDelay: 30_000, random: () => 0.5 }
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((attempt) => backoff(attempt, policy).ceiling)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000])
    expect(backoff(3, policy).delay).toBe(4_000)
    expect(backoff(3, { ...policy, random: () => 0 }).delay).toBe(0)
  })
})

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates, and ignores what it cannot read', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')
    expect(parseRetryAfter('2', now)).toBe(2_000)
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now)).toBe(60_000)
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).toBe(0) // in the past: now
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('999999', now)).toBe(3_600_000) // capped at an hour
  })
})

describe('failure classes', () => {
  const http = (status: number) => new ReplicaError('x', 'x', { status })
  it('network: offline; 5xx, 408, 429, timeouts, malformed pages: transient; 401: unauthorized; other 4xx and storage: fatal', () => {
    expect(classifyFailure(new ReplicaError('network', 'down')).kind).toBe('offline')
    expect([500, 502, 503, 408, 429].map((s) => classifyFailure(http(s)).kind)).toEqual(Array(5).fill('transient'))
    expect(classifyFailure(new ReplicaError('timeout', 't')).kind).toBe('transient')
    expect(classifyFailure(new ReplicaError('malformed_page', 'm')).kind).toBe('transient')
    expect(classifyFailure(http(401)).kind).toBe('unauthorized')
    expect([400, 403, 404, 413].map((s) => classifyFailure(http(s)).kind)).toEqual(Array(4).fill('fatal'))
    expect(classifyFailure(new ReplicaError('storage', 's')).kind).toBe('fatal')
    expect(classifyFailure(new ReplicaError('x', 'x', { status: 503, retryAfter: 2_000 }))).toEqual({ kind: 'transient', retryAfter: 2_000 })
  })
})

describe('limiter', () => {
  it('runs at most `max` tasks at once, first come first served; an aborted waiter leaves the queue', async () => {
    const limiter = createLimiter(1)
    const order: string[] = []
    let release!: () => void
    const first = limiter.run(() => new Promise<void>((resolve) => (release = resolve)).then(() => order.push('a')), new AbortController().signal)
    const gone = new AbortController()
    const second = limiter.run(async () => order.push('b'), gone.signal)
    const third = limiter.run(async () => order.push('c'), new AbortController().signal)
    gone.abort(new Error('left'))
    await expect(second).rejects.toThrow('left')
    expect(limiter.active).toBe(1)
    release()
    await Promise.all([first, third])
    expect(order).toEqual(['a', 'c'])
  })
})

describe('online manager', () => {
  it('tells listeners about changes only, and wires platform events while someone listens', () => {
    const cleanup = vi.fn()
    let platform!: (online: boolean) => void
    const manager = createOnlineManager({ initiallyOnline: true, setEventListener: (set) => ((platform = set), cleanup) })
    const heard: boolean[] = []
    const unsubscribe = manager.subscribe((online) => heard.push(online))
    platform(false)
    manager.setOnline(false) // evidence agreeing with the platform: no news
    platform(true)
    unsubscribe()
    expect(heard).toEqual([false, true])
    expect(cleanup).toHaveBeenCalledTimes(1)
  })
})

describe('selectSyncState', () => {
  const state = (subscriptions: ReplicaState['subscriptions']) => ({ subscriptions }) as ReplicaState
  const { selectSyncState } = buildSyncSelectors((s: ReplicaState) => s)
  const sub = (status: ReplicaState['subscriptions'][string]['status'], extra = {}) => ({ collection: 'note', filter: {}, status, received: 10, ...extra })

  it('reports the most pressing status, sums, and the stalest sync; memoized on the subscriptions object', () => {
    const subscriptions = {
      a: sub('synced', { lastSyncedAt: '2026-01-01T00:00:10.000Z' }),
      b: sub('synced', { lastSyncedAt: '2026-01-01T00:00:05.000Z' }),
      c: sub('syncing', { remaining: 40 }),
    }
    const s = state(subscriptions)
    expect(selectSyncState(s)).toEqual({
      status: 'syncing',
      counts: { idle: 0, syncing: 1, synced: 2, offline: 0, error: 0 },
      received: 30,
      remaining: 40,
      lastSyncedAt: '2026-01-01T00:00:05.000Z',
    })
    expect(selectSyncState(s)).toBe(selectSyncState(state(subscriptions)))
    expect(selectSyncState(state({ ...subscriptions, d: sub('offline'), e: sub('error') })).status).toBe('error')
    expect(selectSyncState(state({})).status).toBe('idle')
  })
})
