import type { Filter } from '../../src'
import { pullAll } from '../server/helpers'
import type { Backend, Item } from './backends'
import { DIGEST_INTERVAL } from './client'
import type { World } from './world'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const byId = (a: Item, b: Item) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** The server's live rows of a filter, exactly as a pull from the beginning sends them. */
export async function serverRows(backend: Backend, filter: Filter): Promise<Item[]> {
  const { rows } = await pullAll(backend.url, 'item', filter, 1000)
  const held = new Map<string, Item>()
  // One stream, in version order: the last word on a key is its state.
  for (const row of rows as Array<Item & { _deleted?: boolean }>) {
    if (row._deleted) held.delete(row.id)
    else held.set(row.id, row)
  }
  return [...held.values()].sort(byId)
}

/**
 * PostgreSQL serves no version that an open transaction (anywhere in the cluster) might precede,
 * so a pull may lag the table while other work runs. Waits until the server serves every committed
 * row, so that "equal to the server" means equal to the table.
 */
async function untilServerServesEverything(backend: Backend) {
  for (let i = 0; i < 600; i++) {
    const served = await serverRows(backend, {})
    const live = await backend.liveVersions()
    if (served.length === live.size && served.every((row) => live.get(row.id) === row._version)) return
    await sleep(50)
  }
  throw new Error('the server did not serve every committed row within 30 s (another transaction held the horizon)')
}

/**
 * Rounds of "network back, app in focus" until a round in which every subscription caught up
 * completely (the server held nothing back), no pull brought anything, nothing was pushed and
 * nothing is pending. Between rounds the clock moves on, so backoffs and probes end; a round the
 * server held back (a transaction open somewhere in the PostgreSQL cluster) is simply tried again.
 * Bounded: a world that never quiets down is a failure.
 */
async function untilQuiet(world: World) {
  const started = Date.now()
  for (let round = 0; round < 15; ) {
    const marks = world.clients.map((c) => ({ events: c.events.length, pushes: c.journal.pushes, heldBack: c.proxy.heldBackAnswers() }))
    for (const c of world.clients) {
      c.online()
      c.focus()
    }
    await world.settle()
    const heldBack = world.clients.some((c, i) => c.proxy.heldBackAnswers() !== marks[i]!.heldBack)
    const quiet = world.clients.every((c, i) => {
      const fresh = c.events.slice(marks[i]!.events)
      return (
        world.keysOf(c).every(({ key }) => fresh.some((e) => e.type === 'synced' && e.key === key)) &&
        !fresh.some((e) => e.type === 'pageApplied' && e.received > 0) &&
        c.journal.pushes === marks[i]!.pushes &&
        c.replica.selectors.selectPendingWrites(c.state) === 0
      )
    })
    if (quiet && !heldBack) return
    if (heldBack && Date.now() - started < 60_000) {
      await sleep(50)
      continue
    }
    round++
    await world.clock.advance(2_000, () => world.settle())
  }
  const states = world.clients.map((c) => ({
    client: c.index,
    subscriptions: world.keysOf(c).map(({ key, filter }) => ({ key, status: c.replica.selectors.selectSubscription(c.state, { collection: 'item', filter }).status })),
    pending: c.replica.selectors.selectPendingWrites(c.state),
    push: c.replica.selectors.selectWrites(c.state).status,
    held: c.proxy.held(),
    inFlight: c.proxy.inFlight(),
    lastEvents: c.events.slice(-5),
  }))
  throw new Error(`the clients did not settle after healing: ${JSON.stringify(states)}`)
}

/**
 * Heals the world: faults off, held requests delivered, the slow transaction committed; then
 * every client pulls, pushes and digests until quiet. Returns where the digest round began in each
 * client's events.
 */
export async function heal(world: World): Promise<number[]> {
  await world.backend.commitSlow()
  for (const c of world.clients) c.proxy.heal()
  await world.settle()
  await untilServerServesEverything(world.backend)
  await untilQuiet(world)
  // A digest interval passes: every subscription compares its digest with the server's.
  const digestRound = world.clients.map((c) => c.events.length)
  await world.clock.advance(DIGEST_INTERVAL, () => world.settle())
  await untilQuiet(world)
  return digestRound
}
