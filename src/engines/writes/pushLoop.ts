import type { Dispatch, SerializedError, UnknownAction } from '@reduxjs/toolkit'
import { ReplicaError, toSerializedError } from '../../core/errors'
import type { Key } from '../../core/protocol'
import type { ReplicaActions } from '../../state/actions'
import type { LocalStore } from '../../store/localStore'
import { createAlarm } from '../../runtime/alarm'
import type { LiveRuntime } from '../../runtime/liveRuntime'
import { guardRequest } from '../../runtime/guardedTransport'
import { retry } from '../../runtime/retryer'
import type { LiveSyncConfig } from '../liveOptions'
import type { PushTransport } from '../../transport/httpPush'
import { randomId } from '../../core/ids'
import type { ConflictDecision, ConflictInfo, OutboxEntry, PushStatus } from '../../core/writeTypes'
import { toLocalWrite } from './validate'
import { conflictResolver } from './conflicts'
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
  /** The offline gate and wake-ups shared with the sync engine. */
  runtime: LiveRuntime
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

/** An outbox entry as the push endpoint takes it. */
export function toWire(entry: OutboxEntry): WireMutation {
  const base: WireMutation = { id: entry.id, collection: entry.collection, op: entry.op, key: entry.key, baseVersion: entry.baseVersion }
  return entry.row ? { ...base, row: entry.row as WireMutation['row'] } : base
}

/**
 * The write side of a replica: queues local writes (optimistic, durable) and runs the push loop,
 * which sends the outbox in order whenever the server can be reached. See docs/writes.md.
 * (Long because it is a factory: its length is the short methods of the object it returns, closed over one shared state; splitting it would pass that state around instead.)
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
  // Rung by new writes, reconnects and focus; `retryAlarm` only by reconnects and focus, so a burst of
  // writes during an outage does not cut the backoff short.
  const idle = createAlarm(live.timers)
  const retryAlarm = createAlarm(live.timers)
  const { connectivity } = config.runtime
  const stopListening = config.runtime.onWake(({ trigger }) => {
    idle.ring(trigger)
    retryAlarm.ring(trigger)
  })

  const at = () => new Date(config.now()).toISOString()

  function submit(action: UnknownAction & { payload: unknown }, op: 'save' | 'remove') {
    if (signal.aborted) return
    if (!store) early.push([action, op])
    else record(store, action, op)
  }

  /** Puts one write in the local database (and, while the replica runs, in Redux). */
  function record(local: LocalStore, action: UnknownAction & { payload: unknown }, op: 'save' | 'remove') {
    const payload = action.payload as { collection?: unknown; key?: unknown; row?: Record<string, unknown> }
    // The action's own id for this write (save and remove make one), if it has a usable one.
    const asked = (action as { meta?: { writeId?: unknown } }).meta?.writeId
    const writeId = typeof asked === 'string' && asked.length > 0 && asked.length <= 128 ? asked : undefined
    try {
      if (!config.transport) throw new ReplicaError('no_push_transport', 'Writes need a push transport: createReplica({ push: httpPushTransport({ url }) })')
      const write = toLocalWrite(op, payload, config.collections, local.writes.visible)
      const { entry, cancelled, change, pending } = local.writes.write(write, writeId)
      dispatch(actions.writeQueued({ ...(entry ? { id: entry.id } : {}), ...(writeId ? { writeId } : {}), ...(cancelled ? { cancelled } : {}), change, pending }))
      idle.ring('subscribe')
    } catch (error) {
      const key = payload?.key ?? payload?.row?.[config.collections[String(payload?.collection)]?.primaryKey ?? 'id']
      dispatch(
        actions.writeRejected({
          id: writeId ?? randomId(),
          collection: String(payload?.collection),
          ...(typeof key === 'string' || typeof key === 'number' ? { key } : {}),
          op: op === 'save' ? 'upsert' : 'delete',
          error: toSerializedError(error),
          at: at(),
        }),
      )
    }
  }

  const resolve = conflictResolver(config.onConflict, config.collections)

  let status: PushStatus = 'idle'
  const setStatus = (next: PushStatus, error?: SerializedError) => {
    if (next === status && !error) return
    status = next
    dispatch(actions.pushStatus(error ? { status: next, error } : { status: next }))
  }

  /** Sends one batch and checks that the answer matches it. */
  async function send(transport: PushTransport, batch: OutboxEntry[]): Promise<MutationResult[]> {
    if (status === 'idle') setStatus('pushing')
    const mutations = batch.map(toWire)
    const answer = await guardRequest({ connectivity, timers: live.timers, timeout: live.timeout }, signal, (s) => transport.push({ mutations, signal: s }))
    signal.throwIfAborted()
    if (answer.results.length !== batch.length || answer.results.some((r, i) => r.id !== batch[i]!.id)) {
      throw new ReplicaError('malformed_page', 'Malformed push answer: its results do not match the mutations sent')
    }
    return answer.results
  }

  /**
   * The push loop: the outbox's head, in batches, through the retryer, for as long as the replica
   * runs. Unlike a pull it never gives up: past `retries` it shows `error` and keeps backing off.
   */
  async function run(local: LocalStore, transport: PushTransport): Promise<void> {
    let limit = config.batchSize
    for (;;) {
      const batch = local.writes.nextBatch(limit)
      if (batch.length === 0) {
        setStatus('idle')
        limit = config.batchSize
        await idle.wait(0, signal)
        continue
      }
      const hook = live.onUnauthorized
      const outcome = await retry(() => send(transport, batch), {
        key: 'push',
        connectivity,
        timers: live.timers,
        backoff: live.backoff,
        retries: Infinity,
        signal,
        // A refresh that throws counts as one that returned false.
        ...(hook ? { refreshCredentials: (error: SerializedError) => Promise.resolve(hook({ collection: batch[0]!.collection, filter: {}, error })).catch(() => false) } : {}),
        wait: (ms) => retryAlarm.wait(Math.max(1, ms), signal),
        onGate: () => setStatus('offline'),
        onOffline: (error) => setStatus('offline', error),
        onRetry: ({ attempt, error }) => {
          if (attempt > live.retries) setStatus('error', error)
        },
      })
      if (outcome.ok) {
        settle(local, batch, outcome.value)
        limit = config.batchSize
        if (status !== 'pushing') setStatus('pushing')
      } else if (outcome.kind === 'unauthorized') {
        // Wait for something to change (a write, focus, reconnect), then try again.
        setStatus('error', outcome.error)
        await retryAlarm.wait(live.backoff.maxDelay, signal)
      } else if (batch.length > 1) {
        // A 4xx for the whole request: find the write it is about by sending one at a time, and
        // refuse that one alone. The queue must never stall behind it.
        limit = 1
      } else {
        const { error } = outcome
        const code = typeof error.code === 'string' ? error.code : 'http'
        settle(local, batch, [{ id: batch[0]!.id, status: 'rejected', error: { code, message: error.message ?? 'refused' } }])
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
      // Writes accepted before the database opened are recorded even when the replica closed
      // meanwhile: close() saves them (its save comes after this), and the next start pushes them.
      if (signal.aborted) {
        for (const [action, op] of early.splice(0)) record(local, action, op)
        return
      }
      store = local
      const pending = local.writes.pendingCounts()
      if (pending.length > 0) dispatch(actions.hydrateWrites({ pending }))
      for (const [action, op] of early.splice(0)) record(local, action, op)
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
      stopListening()
      await loop.catch(() => {})
    },
  }
}
