import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { filePersistence } from '../../src'
import type { Scope, SubscribeOptions } from '../../src'
import { loopbackServer } from '../fixtures/loopbackServer'
import type { LoopbackServer } from '../fixtures/loopbackServer'
import { waitFor } from '../fixtures/store'
import { virtualClock } from '../convergence/virtualClock'
import { startApp, tempDir } from './harness'
import type { AppOptions } from './harness'

// keepUnusedDataFor and maxRows (docs/eviction.md) on a real store over real HTTP, with a file
// database. Time is a virtual clock (the replica's `timers` and `now`): it moves when a test says.
const P1 = { collection: 'note', filter: { project_id: 1 } }
const P2 = { collection: 'note', filter: { project_id: 2 } }
const P3 = { collection: 'note', filter: { project_id: 3 } }
const P12 = { collection: 'note', filter: { project_id: [1, 2] } }
const key = (scope: Scope) => `note:${JSON.stringify(scope.filter)}`
const project = (p: number) => Array.from({ length: 10 }, (_, i) => ({ id: p * 100 + i, project_id: p, body: `note ${p}.${i}` }))

let server: LoopbackServer
let temp: ReturnType<typeof tempDir>
let clock: ReturnType<typeof virtualClock>
let path: string
beforeEach(async () => {
  temp = tempDir()
  path = join(temp.dir, 'replica.db')
  clock = virtualClock()
  server = await loopbackServer({ tables: { note: [...project(1), ...project(2), ...project(3)] } })
})
afterEach(async () => {
  await server.stop().catch(() => {})
  temp.cleanup()
})

/** A run of the app on the test's file and clock. */
function run(name: string, options: AppOptions = {}) {
  const app = startApp(server, filePersistence(path), name, { timers: clock.timers, now: clock.now, pollingInterval: 0, saveInterval: 0, ...options })
  const { store, replica } = app
  const status = (scope: Scope) => replica.selectors.selectSubscription(store.getState(), scope).status
  return {
    ...app,
    evictions: () => app.actions.filter(replica.internalActions.evicted.match).map((a) => a.payload),
    /** The projects whose notes Redux shows. */
    projects: () => [...new Set(app.notesInRedux().map((n) => n.project_id as number))].sort(),
    subscriptionsInState: () => Object.keys(store.getState().replica.subscriptions).sort(),
    async sync(scope: SubscribeOptions) {
      const { meta } = store.dispatch(replica.actions.subscribe(scope))
      await waitFor(store, () => status(scope) === 'synced')
      return meta.subscriberId
    },
    async leave(scope: Scope, subscriberId: string) {
      store.dispatch(replica.actions.unsubscribe(scope, subscriberId))
      await waitFor(store, () => status(scope) === 'idle')
    },
    /** Moves the virtual clock on by `seconds`, letting the store settle after each timer it fires. */
    advance: (seconds: number) => clock.advance(seconds * 1000, () => new Promise((resolve) => setTimeout(resolve, 5))),
  }
}

/** What a reopened file holds: a run that evicts nothing, hydrated. */
async function reopened() {
  const app = run('reopened', { keepUnusedDataFor: Infinity })
  await app.store.replica.whenHydrated()
  const seen = { projects: app.projects(), subscriptions: app.subscriptionsInState() }
  await app.store.replica.close()
  return seen
}

describe('keepUnusedDataFor', () => {
  it('evicts a scope once the time has passed since its last subscriber left: gone from Redux, the local database and the reopened file', async () => {
    const app = run('first')
    const one = await app.sync(P1)
    await app.sync(P2)
    await app.leave(P1, one)
    await app.advance(59)
    expect(app.projects()).toEqual([1, 2])
    expect(app.evictions()).toEqual([])

    await app.advance(1)
    await waitFor(app.store, () => app.evictions().length === 1)
    expect(app.evictions()).toEqual([{ key: key(P1), collection: 'note', removed: project(1).map((n) => n.id), kept: 0, reason: 'unused' }])
    expect(app.projects()).toEqual([2])
    expect(app.subscriptionsInState()).toEqual([key(P2)])
    await app.store.replica.close()
    expect(await reopened()).toEqual({ projects: [2], subscriptions: [key(P2)] })
  })

  it('a subscriber back within the time resumes from the stored cursor, and the server sends nothing again', async () => {
    const app = run('first')
    const one = await app.sync(P1)
    const last = app.pullsOf().at(-1)!
    await app.leave(P1, one)
    await app.advance(59)
    await app.sync(P1)
    const again = app.pullsOf().slice(app.pullsOf().indexOf(last) + 1)
    expect(again.map((pull) => [pull.cursor, pull.rows])).toEqual([[last.next, 0]])
    expect(app.pullsOf().reduce((rows, pull) => rows + pull.rows, 0)).toBe(10)
    await app.advance(3600)
    expect(app.evictions()).toEqual([])
    await app.store.replica.close()
  })

  it('0 evicts as soon as the loop has stopped; a subscribe in the same tick as the unsubscribe keeps everything', async () => {
    const app = run('first', { keepUnusedDataFor: 0 })
    const one = await app.sync(P1)
    app.store.dispatch(app.replica.actions.unsubscribe(P1, one))
    const two = app.store.dispatch(app.replica.actions.subscribe(P1)).meta.subscriberId
    await app.advance(1)
    expect(app.evictions()).toEqual([])
    expect(app.projects()).toEqual([1])

    app.store.dispatch(app.replica.actions.unsubscribe(P1, two))
    await app.advance(0)
    await waitFor(app.store, () => app.evictions().length === 1)
    expect(app.projects()).toEqual([])
    await app.store.replica.close()
  })

  it('a subscription asks for its own time; the longest of its subscribers wins', async () => {
    const app = run('first')
    const short = await app.sync({ ...P1, keepUnusedDataFor: 5 })
    const long = app.store.dispatch(app.replica.actions.subscribe({ ...P1, keepUnusedDataFor: 600 })).meta.subscriberId
    app.store.dispatch(app.replica.actions.unsubscribe(P1, short))
    await app.leave(P1, long)
    await app.advance(599)
    expect(app.projects()).toEqual([1])
    await app.advance(1)
    await waitFor(app.store, () => app.evictions().length === 1)
    expect(app.projects()).toEqual([])

    const never = await app.sync({ ...P2, keepUnusedDataFor: Infinity })
    await app.leave(P2, never)
    await app.advance(365 * 24 * 3600)
    expect(app.projects()).toEqual([2])
    await app.store.replica.close()
  })

  it('keeps the rows another subscription holds or shows, whatever the order of their streams', async () => {
    const app = run('first', { keepUnusedDataFor: 10 })
    const one = await app.sync(P1)
    await app.sync(P12)
    await app.leave(P1, one)
    await app.advance(10)
    await waitFor(app.store, () => app.evictions().length === 1)
    expect(app.evictions()[0]).toMatchObject({ key: key(P1), removed: [], kept: 10 })
    expect(app.projects()).toEqual([1, 2])
    await app.store.replica.close()
    expect(await reopened()).toEqual({ projects: [1, 2], subscriptions: [key(P12)] })
  })

  it('after a restart, stored scopes nobody subscribes to within the time of the start are evicted', async () => {
    const first = run('first')
    await first.sync(P1)
    await first.sync(P2)
    await first.sync(P3)
    await first.store.replica.close()

    const second = run('second', { keepUnusedDataFor: 30 })
    second.store.dispatch(second.replica.actions.subscribe(P2))
    await second.store.replica.whenHydrated()
    await second.advance(20)
    // P3 is subscribed again in time; P1 is not.
    second.store.dispatch(second.replica.actions.subscribe(P3))
    await second.advance(10)
    await waitFor(second.store, () => second.evictions().length === 1)
    expect(second.evictions()[0]).toMatchObject({ key: key(P1), reason: 'unused', kept: 0 })
    expect(second.projects()).toEqual([2, 3])
    await second.store.replica.close()
    expect(await reopened()).toEqual({ projects: [2, 3], subscriptions: [key(P2), key(P3)] })
  })
})

describe('maxRows', () => {
  it('evicts the least recently used scopes nobody holds, never a held one', async () => {
    const app = run('first', { keepUnusedDataFor: Infinity, maxRows: 15 })
    const one = await app.sync(P1)
    await app.advance(1)
    await app.leave(P1, one)
    await app.advance(1)
    const two = await app.sync(P2)
    await app.advance(1)
    // 20 rows, P1 unheld: it goes.
    await waitFor(app.store, () => app.evictions().length === 1)
    expect(app.evictions()[0]).toMatchObject({ key: key(P1), reason: 'maxRows' })
    await app.leave(P2, two)
    await app.sync(P3)
    await waitFor(app.store, () => app.evictions().length === 2)
    expect(app.evictions()[1]).toMatchObject({ key: key(P2), reason: 'maxRows' })
    expect(app.projects()).toEqual([3])

    // Held scopes alone past maxRows: they stay, every row of them.
    await app.sync(P1)
    await app.sync(P2)
    await app.advance(60)
    expect(app.evictions()).toHaveLength(2)
    expect(app.projects()).toEqual([1, 2, 3])
    await app.store.replica.close()
  })
})
