import { describe, expect, it } from 'vitest'
import { ReplicaError, createOnlineManager } from '../../src'
import { createConnectivity } from '../../src/runtime/connectivity'
import { retry } from '../../src/runtime/retryer'
import type { RetryPolicy } from '../../src/runtime/retryer'
import { defaultTimers } from '../../src/runtime/timers'

// The one retry loop that pulls, pushes and digests share: what it does with each kind of failure.
function setup(overrides: Partial<RetryPolicy> = {}) {
  const onlineManager = createOnlineManager({ initiallyOnline: true, setEventListener: () => undefined })
  const backoff = { baseDelay: 10, maxDelay: 100, random: () => 0.5 }
  const connectivity = createConnectivity({ onlineManager, timers: defaultTimers, backoff })
  const waits: number[] = []
  const retries: number[] = []
  const policy: RetryPolicy = {
    key: 'k', connectivity, timers: defaultTimers, backoff, retries: 3, signal: new AbortController().signal,
    wait: async (ms) => void waits.push(ms),
    onRetry: ({ attempt }) => void retries.push(attempt),
    ...overrides,
  }
  return { policy, onlineManager, waits, retries }
}

/** An operation that throws the given errors in turn, then answers `'done'`. */
const failing = (...errors: unknown[]) => {
  let calls = 0
  const operation = async () => {
    const error = errors[calls++]
    if (error !== undefined) throw error
    return 'done'
  }
  return { operation, calls: () => calls }
}
const http = (status: number, retryAfter?: number) => new ReplicaError('http', `HTTP ${status}`, { status, ...(retryAfter === undefined ? {} : { retryAfter }) })

describe('the retryer', () => {
  it('retries transient failures with backoff (or Retry-After) and returns the value', async () => {
    const { policy, waits, retries } = setup()
    const op = failing(http(503), http(429, 2_000), new ReplicaError('timeout', 'slow'))
    expect(await retry(op.operation, policy)).toEqual({ ok: true, value: 'done' })
    expect(op.calls()).toBe(4)
    expect(retries).toEqual([1, 2, 3])
    expect(waits).toEqual([5, 2_000, 20]) // half of 10, the server's 2 s, half of 40
  })

  it('gives up after `retries` transient failures and says so', async () => {
    const { policy } = setup({ retries: 2 })
    const op = failing(http(500), http(500), http(502))
    expect(await retry(op.operation, policy)).toMatchObject({ ok: false, kind: 'exhausted', error: { message: 'HTTP 502' } })
    expect(op.calls()).toBe(3)
  })

  it('counts afresh after progress: a long catch-up is not ended by failures spread over its pages', async () => {
    const { policy } = setup({ retries: 2 })
    let calls = 0
    const outcome = await retry(async (context) => {
      calls++
      if (calls === 3) context.progress() // a page landed
      if (calls < 4) throw http(503)
      return 'done'
    }, policy)
    expect(outcome).toEqual({ ok: true, value: 'done' })
  })

  it('does not retry a fatal failure', async () => {
    const { policy, retries } = setup()
    const op = failing(http(404))
    expect(await retry(op.operation, policy)).toMatchObject({ ok: false, kind: 'fatal' })
    expect(op.calls()).toBe(1)
    expect(retries).toEqual([])
  })

  it('after a 401 refreshes credentials once and tries again; a second 401 ends it', async () => {
    let refreshed = 0
    const { policy } = setup({ refreshCredentials: () => void refreshed++ })
    expect(await retry(failing(http(401)).operation, policy)).toEqual({ ok: true, value: 'done' })
    expect(await retry(failing(http(401), http(401)).operation, policy)).toMatchObject({ ok: false, kind: 'unauthorized' })
    expect(refreshed).toBe(2) // once per run
  })

  it('a refresh that throws ends it with the refresh\'s error; without a refresh hook a 401 ends it at once', async () => {
    const { policy } = setup({ refreshCredentials: () => { throw new Error('token service down') } })
    expect(await retry(failing(http(401)).operation, policy)).toMatchObject({ ok: false, kind: 'unauthorized', hookError: { message: 'token service down' } })
    const bare = setup()
    const op = failing(http(401))
    expect(await retry(op.operation, bare.policy)).toMatchObject({ ok: false, kind: 'unauthorized' })
    expect(op.calls()).toBe(1)
  })

  it('a network error marks the app offline; an operation that does not wait ends with `offline`', async () => {
    const { policy, onlineManager } = setup({ waitOffline: false })
    const op = failing(new ReplicaError('network', 'unreachable'))
    expect(await retry(op.operation, policy)).toMatchObject({ ok: false, kind: 'offline' })
    expect(onlineManager.isOnline()).toBe(false)
  })

  it('an operation that waits stays at the offline gate until the network is back, then runs', async () => {
    const gated: string[] = []
    const { policy, onlineManager } = setup({ onGate: () => void gated.push('gate'), onOffline: () => void gated.push('offline') })
    const op = failing(new ReplicaError('network', 'unreachable'))
    const outcome = retry(op.operation, policy)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(onlineManager.isOnline()).toBe(false)
    expect(op.calls()).toBe(1)
    onlineManager.setOnline(true)
    expect(await outcome).toEqual({ ok: true, value: 'done' })
    expect(gated).toEqual(['offline', 'gate'])
  })

  it('rejects when aborted, whatever the failure: nothing is retried or reported', async () => {
    const controller = new AbortController()
    const { policy, retries } = setup({ signal: controller.signal })
    const outcome = retry(async () => {
      controller.abort(new Error('unsubscribed'))
      throw http(503)
    }, policy)
    await expect(outcome).rejects.toThrow('HTTP 503')
    expect(retries).toEqual([])
  })
})
