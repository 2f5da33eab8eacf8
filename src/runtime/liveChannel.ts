import { ReplicaError } from '../core/errors'
import type { Filter, JsonPrimitive } from '../core/protocol'
import { backoff } from './backoff'
import type { BackoffPolicy } from './backoff'
import type { ReplicaEvent } from './events'
import { sleep } from './timers'
import type { Timers } from './timers'
import type { LivePoke, Transport } from '../core/pullWire'

/** A server that has no channel (404, 405, 501) is asked again after this many `maxDelay`s. */
const ABSENT_SERVER_FACTOR = 10

export interface LiveChannelDeps {
  live: NonNullable<Transport['live']>
  timers: Timers
  backoff: BackoffPolicy
  emit: (event: ReplicaEvent) => void
  /** The channel (re)opened: changes before this moment were not poked, so every subscription pulls once. */
  onOpen(): void
  onPoke(poke: LivePoke): void
}

/**
 * The store's one live connection (docs/live-sync.md, "Live channel"): open while some
 * subscription runs, for the collections subscribed; reopened when that set changes; after a
 * failure or the server's close, reopened after a backoff with full jitter. While it is down the
 * subscriptions poll as they always do; it only adds pulls, never replaces the safety net.
 */
export function createLiveChannelKeeper(deps: LiveChannelDeps) {
  const stopAll = new AbortController()
  let wanted: readonly string[] = []
  let current: AbortController | undefined
  let wake: (() => void) | undefined
  let up = false
  let running: Promise<void> | undefined

  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i])

  async function run(): Promise<void> {
    let attempt = 0
    while (!stopAll.signal.aborted) {
      if (wanted.length === 0) {
        await nap(Infinity)
        continue
      }
      const collections = wanted
      const connection = new AbortController()
      current = connection
      const abortConnection = () => connection.abort(stopAll.signal.reason)
      stopAll.signal.addEventListener('abort', abortConnection, { once: true })
      let wait: number
      try {
        await deps.live({
          collections,
          signal: connection.signal,
          onOpen() {
            up = true
            attempt = 0
            deps.emit({ type: 'channel', state: 'open', collections: [...collections] })
            deps.onOpen()
          },
          onPoke: (poke) => {
            deps.emit({ type: 'poke', collections: [...poke.collections] })
            deps.onPoke(poke)
          },
        })
        // The server ended it (its maxAgeMs, a deploy): come back soon, spread out.
        wait = backoff(0, deps.backoff).delay
        deps.emit({ type: 'channel', state: 'closed', collections: [...collections] })
      } catch (error) {
        if (stopAll.signal.aborted) break
        const failure = error instanceof ReplicaError ? error : undefined
        const status = failure?.status
        if (connection.signal.aborted) wait = 0 // the set of collections changed
        else if (status === 404 || status === 405 || status === 501) wait = deps.backoff.maxDelay * ABSENT_SERVER_FACTOR
        else wait = failure?.retryAfter ?? backoff(attempt++, deps.backoff).delay
        if (!connection.signal.aborted) {
          deps.emit({ type: 'channel', state: 'failed', collections: [...collections], error: { name: failure?.name ?? 'Error', message: (error as Error)?.message ?? String(error), ...(failure?.code ? { code: failure.code } : {}) } })
        }
      } finally {
        stopAll.signal.removeEventListener('abort', abortConnection)
        up = false
        current = undefined
      }
      if (wait > 0 && same(collections, wanted)) await nap(wait)
    }
  }

  /** Sleep `ms` (forever: Infinity), cut short by `want`, `retryNow` or `close`. */
  async function nap(ms: number): Promise<void> {
    const interrupted = new AbortController()
    wake = () => interrupted.abort()
    const stop = () => interrupted.abort()
    stopAll.signal.addEventListener('abort', stop, { once: true })
    if (ms === Infinity) await new Promise<void>((resolve) => interrupted.signal.addEventListener('abort', () => resolve(), { once: true }))
    else await sleep(deps.timers, ms, interrupted.signal).catch(() => {})
    stopAll.signal.removeEventListener('abort', stop)
    wake = undefined
  }

  return {
    /** The collections to hear of (sorted by the caller); reopens the channel when they change. */
    want(collections: readonly string[]) {
      if (stopAll.signal.aborted || same(collections, wanted)) return
      wanted = collections
      current?.abort()
      wake?.()
      running ??= run()
    },
    /** Stop waiting out a backoff (the network came back). */
    retryNow() {
      wake?.()
    },
    /** Whether pokes are arriving now. */
    isUp: () => up,
    async close() {
      stopAll.abort()
      await running
    },
  }
}

export type LiveChannelKeeper = ReturnType<typeof createLiveChannelKeeper>

/**
 * Whether a poke's values concern a subscription's filter: every filtered field the poke names
 * must share a value with it. Fields the poke does not name (and a poke without values) might.
 */
export function pokeConcerns(filter: Filter, values: Readonly<Record<string, readonly JsonPrimitive[]>> | undefined): boolean {
  if (!values) return true
  for (const [field, wanted] of Object.entries(filter)) {
    const changed = values[field]
    if (!changed) continue
    const allowed = Array.isArray(wanted) ? wanted : [wanted]
    if (!changed.some((v) => allowed.some((w) => w === v || (w !== null && v !== null && typeof w !== typeof v && String(w) === String(v))))) return false
  }
  return true
}
