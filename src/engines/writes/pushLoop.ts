import type { Dispatch, SerializedError, UnknownAction } from '@reduxjs/toolkit'
import { ReplicaError, toSerializedError } from '../../core/errors'
import type { Key } from '../../core/protocol'
import type { ReplicaActions } from '../../state/actions'
import type { LocalStore } from '../../store/localStore'
import { createAlarm } from '../../runtime/alarm'
import { backoff } from '../../runtime/backoff'
import { createConnectivity } from '../../runtime/connectivity'
import { classifyFailure } from '../../runtime/failures'
import type { LiveSyncConfig } from '../liveOptions'
import { withTimeout } from '../../runtime/timeout'
import type { Row } from '../../core/pullWire'
import type { PushTransport } from '../../transport/httpPush'
import { newId } from '../../core/ids'
import type { Resolve } from '../../store/outboxStore'
import type { ConflictDecision, ConflictInfo, OutboxEntry, PushStatus } from '../../core/writeTypes'
import { toLocalWrite } from './validate'
import type { MutationResult, WireMutation } from '../../core/pushWire'

export interface WriteEngineConfig {
  actions: ReplicaActions
  dispatch: Dispatch
  /** Resolves when the local store is open and Redux hydrated. */
  localStore: Promise<LocalStore>
  collections: Record<string, { primaryKey: string }>
  /** Where writes go; without one, writes are refused (`no_push_transport`). */
  transport: PushTransport | undefined
  live: LiveSyncConfig
  onConflict: ((conflict: ConflictInfo) => ConflictDecision) | undefined
  /** Most mutations per request. */
  batchSize: number
  now: () => number
}

export interface WriteEngine {
  /** Handles a `save` or `remove` action (after it reached the reducers). */
  submit(action: UnknownAction & { payload: unknown }, op: 'save' | 'remove'): void
  /** Whether a row has pending writes (pulled rows for it do not reach Redux meanwhile). */
  isPending(collection: string, key: Key): boolean
  /** Whether any write is pending. */
  hasPending(): boolean
  /** Looks at the outbox again now (writes joined it other than through `submit`). */
  wake(): void
  /** Stops the push loop; a request in flight is abandoned (resent, with the same ids, next time). */
  stop(): Promise<void>
}

/**
 * The write side of a replica: queues local writes (optimistic, durable) and runs the push loop,
 * which sends the outbox in order whenever the server can be reached. See docs/writes.md.
 */
export function createWriteEngine(config: WriteEngineConfig): WriteEngine {
  const { actions, live } = config
  const controller = new AbortController()
  const { signal } = controller
  let store: LocalStore | undefined
  // Writes dispatched before the local store is open wait here, in order.
  const early: Array<[UnknownAction & { payload: unknown }, 'save' | 'remove']> = []
  const dispatch = (action: UnknownAction) => {
    if (!signal.aborted) config.dispatch(action)
  }
  // Rung by new writes, reconnects and focus; `retry` only by reconnects and focus, so a burst of
  // writes during an outage does not cut the backoff short.
  const idle = createAlarm(live.timers)
  const retry = createAlarm(live.timers)
  const connectivity = createConnectivity({ onlineManager: live.onlineManager, timers: live.timers, backoff: live.backoff })
  const stopListening = [
    live.onlineManager.subscribe((online) => {
      if (!online) return
      idle.ring('reconnect')
      retry.ring('reconnect')
    }),
    live.focusManager.subscribe((focused) => {
      if (!focused) return
      idle.ring('focus')
      retry.ring('focus')
    }),
  ]

  const at = () => new Date(config.now()).toISOString()

  function submit(action: UnknownAction & { payload: unknown }, op: 'save' | 'remove') {
    if (signal.aborted) return
    if (!store) {
      early.push([action, op])
      return
    }
    const payload = action.payload as { collection?: unknown; key?: unknown; row?: Record<string, unknown> }
    try {
      if (!config.transport) throw new ReplicaError('no_push_transport', 'Writes need a push transport: createReplica({ push: httpPushTransport({ url }) })')
      const write = toLocalWrite(op, payload, config.collections, store.writes.visible)
      const outcome = store.writes.write(write)
      dispatch(actions.writeQueued({ ...(outcome.entry ? { id: outcome.entry.id } : {}), change: outcome.change, pending: outcome.pending }))
      idle.ring('subscribe')
    } catch (error) {
      const key = payload?.key ?? payload?.row?.[config.collections[String(payload?.collection)]?.primaryKey ?? 'id']
      dispatch(
        actions.writeRejected({
          id: newId(),
          collection: String(payload?.collection),
          ...(typeof key === 'string' || typeof key === 'number' ? { key } : {}),
          op: op === 'save' ? 'upsert' : 'delete',
          error: toSerializedError(error),
          at: at(),
        }),
      )
    }
  }

  const resolve: Resolve = ({ entry, server }) => {
    if (!config.onConflict) return 'server'
    try {
      const decision = config.onConflict({ local: entry.row ?? null, server, mutation: entry })
      if (decision === 'server' || decision === 'client') return decision
      const merged = toLocalWrite('save', { collection: entry.collection, row: decision }, config.collections, () => undefined)
      if (String(merged.key) !== String(entry.key)) throw new ReplicaError('bad_write', 'a merged row must keep the primary key')
      return { merged: merged.row as Row }
    } catch (error) {
      console.error('redux-replica: onConflict failed or returned a bad row; the server wins', error)
      return 'server'
    }
  }

  let status: PushStatus = 'idle'
  const setStatus = (next: PushStatus, error?: SerializedError) => {
    if (next === status && !error) return
    status = next
    dispatch(actions.pushStatus(error ? { status: next, error } : { status: next }))
  }
  const wire = (entry: OutboxEntry): WireMutation => {
    const base: WireMutation = { id: entry.id, collection: entry.collection, op: entry.op, key: entry.key, baseVersion: entry.baseVersion }
    return entry.row ? { ...base, row: entry.row as WireMutation['row'] } : base
  }

  async function run(local: LocalStore, transport: PushTransport): Promise<void> {
    let attempt = 0
    let limit = config.batchSize
    let refreshed = false
    for (;;) {
      const batch = local.writes.nextBatch(limit)
      if (batch.length === 0) {
        setStatus('idle')
        limit = config.batchSize
        await idle.wait(0, signal)
        continue
      }
      if (!connectivity.isOnline()) {
        setStatus('offline')
        await connectivity.whenOnline('push', signal)
      }
      if (status === 'idle') setStatus('pushing')
      try {
        const mutations = batch.map(wire)
        const answer = await withTimeout(live.timers, live.timeout, signal, (s) => transport.push({ mutations, signal: s }))
        connectivity.reportResponse()
        signal.throwIfAborted()
        if (answer.results.length !== batch.length || answer.results.some((r, i) => r.id !== batch[i]!.id)) {
          throw new ReplicaError('malformed_page', 'Malformed push answer: its results do not match the mutations sent')
        }
        settle(local, batch, answer.results)
        attempt = 0
        refreshed = false
        limit = config.batchSize
        if (status !== 'pushing') setStatus('pushing')
      } catch (error) {
        if (signal.aborted) throw error
        if (error instanceof ReplicaError && error.status !== undefined) connectivity.reportResponse()
        const failure = classifyFailure(error)
        const serialized = toSerializedError(error)
        if (failure.kind === 'offline') {
          connectivity.reportNetworkError()
          setStatus('offline', serialized)
          continue
        }
        if (failure.kind === 'unauthorized') {
          const hook = live.onUnauthorized
          if (hook && !refreshed) {
            refreshed = true
            try {
              if ((await hook({ collection: batch[0]!.collection, filter: {}, error: serialized })) !== false) continue
            } catch {
              // As a hook returning false.
            }
          }
          // Wait for something to change (a write, focus, reconnect), then try again.
          setStatus('error', serialized)
          await retry.wait(live.backoff.maxDelay, signal)
          refreshed = false
          continue
        }
        if (failure.kind === 'fatal') {
          // A 4xx for the whole request: find the write it is about by sending one at a time, and
          // refuse that one alone. The queue must never stall behind it.
          if (batch.length > 1) {
            limit = 1
            continue
          }
          const code = typeof serialized.code === 'string' ? serialized.code : 'http'
          settle(local, batch, [{ id: batch[0]!.id, status: 'rejected', error: { code, message: serialized.message ?? 'refused' } }])
          continue
        }
        const wait = failure.retryAfter === undefined ? backoff(attempt, live.backoff) : { delay: failure.retryAfter }
        attempt++
        if (attempt > live.retries) setStatus('error', serialized)
        await retry.wait(Math.max(1, wait.delay), signal)
      }
    }
  }

  function settle(local: LocalStore, batch: OutboxEntry[], results: MutationResult[]) {
    const settlement = local.writes.settle(
      batch.map((entry, i) => ({ entry, result: results[i]! })),
      resolve,
      at(),
    )
    dispatch(actions.pushSettled(settlement))
  }

  const loop = config.localStore.then(
    async (local) => {
      if (signal.aborted) return
      store = local
      const pending = local.writes.pendingCounts()
      if (pending.length > 0) dispatch(actions.hydrateWrites({ pending }))
      for (const [action, op] of early.splice(0)) submit(action, op)
      if (!config.transport) return
      await run(local, config.transport).catch((error: unknown) => {
        if (signal.aborted) return
        // A bug or a broken local store: say so in state rather than as an unhandled rejection.
        console.error('redux-replica: the push loop stopped', error)
        setStatus('error', toSerializedError(error))
      })
    },
    () => {}, // a store that cannot open is reported by hydration
  )

  return {
    submit,
    isPending: (collection, key) => store?.writes.isPending(collection, key) ?? false,
    hasPending: () => (store?.writes.size() ?? 0) > 0,
    wake: () => idle.ring('subscribe'),
    async stop() {
      controller.abort()
      for (const stop of stopListening) stop()
      connectivity.dispose()
      await loop.catch(() => {})
    },
  }
}
