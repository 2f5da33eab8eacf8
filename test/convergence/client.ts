import type { UnknownAction } from '@reduxjs/toolkit'
import { collection, createFocusManager, createOnlineManager, createReplica, filePersistence, httpPushTransport, httpTransport } from '../../src'
import type { Filter, ReplicaEvent } from '../../src'
import type { MutationResult, WireMutation } from '../../src/server/index.js'
import { makeStore } from '../fixtures/store'
import type { Item } from './backends'
import type { FaultProxy } from './faultProxy'
import type { VirtualClock } from './virtualClock'

/** How often a subscription compares its digest with the server's (virtual time). */
export const DIGEST_INTERVAL = 60_000

/** One incarnation of the app: a replica in a real store (RTK's serializable and immutable checks on). */
function openApp(options: { file: string; url: string; clock: VirtualClock; journal: Journal; onEvent: (event: ReplicaEvent) => void; keepUnusedDataFor: number | undefined }) {
  const { journal, clock } = options
  const onlineManager = createOnlineManager({ setEventListener: () => undefined, initiallyOnline: true })
  const focusManager = createFocusManager({ setEventListener: () => undefined })
  const pushOver = httpPushTransport({ url: options.url })
  const replica = createReplica({
    collections: { item: collection<Item>() },
    // Polling only: the schedule drives every request and timer on a virtual clock, and the live
    // channel's stream (and its poke spacing) would run beside it (a follow-up: schedule pokes too).
    transport: httpTransport({ url: options.url, live: false }),
    // The real push transport; the journal notes what was sent and which answers came back.
    push: {
      async push(request) {
        journal.sent(request.mutations)
        const answer = await pushOver.push(request)
        journal.answered(answer.results)
        return answer
      },
    },
    persistence: filePersistence(options.file),
    pollingInterval: 0,
    digestInterval: DIGEST_INTERVAL,
    timeout: 10_000,
    retry: { retries: 3, baseDelay: 200, maxDelay: 1_000, random: () => 0.5 },
    now: clock.now,
    timers: clock.timers,
    onlineManager,
    focusManager,
    onEvent: options.onEvent,
    ...(options.keepUnusedDataFor === undefined ? {} : { keepUnusedDataFor: options.keepUnusedDataFor }),
  })
  const log: UnknownAction[] = []
  const store = makeStore(replica, log)
  return { replica, store, log, onlineManager, focusManager }
}

type App = ReturnType<typeof openApp>

/** What a client's writes did, as seen from its side of the wire. */
export class Journal {
  /** Every mutation sent, by id (a resend sends the same). */
  readonly mutations = new Map<string, WireMutation>()
  /** Answers the push loop received, by mutation id. */
  readonly answers = new Map<string, MutationResult>()
  /** Push requests made. */
  pushes = 0
  sent(mutations: WireMutation[]) {
    this.pushes++
    for (const m of mutations) this.mutations.set(m.id, m)
  }
  answered(results: MutationResult[]) {
    for (const r of results) this.answers.set(r.id, r)
  }
}

/**
 * One app: a real store with the replica's middleware and enhancer, persisting to a file, talking
 * through its own fault proxy. `restart()` closes the store and opens a new one on the same file,
 * subscribing again to what the app had subscribed to (as an app mounting its views does).
 */
export class Client {
  readonly events: ReplicaEvent[] = []
  /** Every action every incarnation of the store saw, in order. */
  readonly actions: UnknownAction[] = []
  readonly journal = new Journal()
  /** Subscribers per filter index (several components may subscribe to one scope). */
  readonly subscribers = new Map<number, number>()
  private current: App
  private writes = 0
  private logged = 0

  constructor(
    readonly index: number,
    private readonly file: string,
    readonly proxy: FaultProxy,
    private readonly clock: VirtualClock,
    private readonly filters: readonly Filter[],
  ) {
    this.current = this.open()
  }

  private open() {
    // Client 1 evicts a scope as soon as its last subscriber leaves, so evictions race the other
    // subscriptions, pulls and writes; the others keep unused data the default 60 s (virtual).
    const keepUnusedDataFor = this.index === 1 ? 0 : undefined
    const app = openApp({ file: this.file, url: `${this.proxy.url}/replica`, clock: this.clock, journal: this.journal, onEvent: (event) => this.events.push(event), keepUnusedDataFor })
    for (const [f, count] of this.subscribers) for (let i = 0; i < count; i++) app.store.dispatch(app.replica.actions.subscribe({ collection: 'item', filter: this.filters[f]! }))
    return app
  }

  get replica() {
    return this.current.replica
  }
  get state() {
    return this.current.store.getState()
  }

  /** Actions dispatched since the last call (for the activity count and the write ledger). */
  drainActions(): number {
    const fresh = this.current.log.length - this.logged
    if (fresh > 0) this.actions.push(...this.current.log.slice(this.logged))
    this.logged = this.current.log.length
    return fresh
  }

  subscribe(f: number) {
    this.subscribers.set(f, (this.subscribers.get(f) ?? 0) + 1)
    this.current.store.dispatch(this.replica.actions.subscribe({ collection: 'item', filter: this.filters[f]! }))
  }

  unsubscribe(f: number) {
    const count = this.subscribers.get(f) ?? 0
    if (count === 0) return
    if (count === 1) this.subscribers.delete(f)
    else this.subscribers.set(f, count - 1)
    this.current.store.dispatch(this.replica.actions.unsubscribe({ collection: 'item', filter: this.filters[f]! }))
  }

  /** The rows the app sees, by id. */
  visible(): Item[] {
    return this.replica.selectors.item.selectAll(this.state).slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  where(filter: Filter): Item[] {
    return this.replica.selectors.item.selectWhere(this.state, filter).slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  /** A fresh title for a write: titles are unique, so the server's audit can count each write. */
  title() {
    return `c${this.index}w${++this.writes}`
  }

  create(id: string, project: number) {
    this.current.store.dispatch(this.replica.actions.save({ collection: 'item', row: { id, project_id: project, title: this.title() } }))
  }

  patch(id: string, patch: Partial<Item>) {
    this.current.store.dispatch(this.replica.actions.save({ collection: 'item', key: id, patch: { title: this.title(), ...patch } }))
  }

  remove(id: string) {
    this.current.store.dispatch(this.replica.actions.remove({ collection: 'item', key: id }))
  }

  /** The app comes back into focus: every subscription pulls, the push loop tries again. */
  focus() {
    this.current.focusManager.setFocused(false)
    this.current.focusManager.setFocused(true)
  }

  /** The platform says the network is back (a no-op when the client already thinks so). */
  online() {
    this.current.onlineManager.setOnline(true)
  }

  async restart() {
    this.drainActions()
    await this.current.store.replica.close()
    this.logged = 0
    this.current = this.open()
    await this.current.store.replica.whenHydrated()
  }

  async close() {
    this.drainActions()
    await this.current.store.replica.close()
  }
}
