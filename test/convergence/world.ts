import { scopeKey } from '../../src'
import { tempDir } from '../server/helpers'
import { postgresBackend, sqliteBackend } from './backends'
import type { Backend, ServerChange } from './backends'
import { Client, DIGEST_INTERVAL } from './client'
import { faultProxy } from './faultProxy'
import { FILTERS, PROJECTS } from './schedule'
import type { Schedule, Step } from './schedule'
import { virtualClock } from './virtualClock'

/** Real milliseconds with no request, answer, action or event anywhere: the world is at rest. */
const QUIET_MS = 8
/** A request the server is still working on (waiting for a lock) does not keep the world busy longer than this. */
const BUSY_SERVER_MS = 300
const SEED_ROWS = 6

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Everything one schedule runs against: a server over SQLite or PostgreSQL, 2-3 client apps each
 * behind its own fault proxy, and the virtual clock they share. `run` interprets the steps.
 */
export class World {
  readonly clients: Client[] = []
  /** Whether the schedule made a divergence on purpose (only then may a digest repair run). */
  diverged = false
  readonly clock = virtualClock()
  private serverSeq = SEED_ROWS
  private localSeq = 0
  private readonly temp = tempDir()
  private constructor(readonly backend: Backend) {}

  static async open(kind: 'sqlite' | 'postgres', schedule: Schedule): Promise<World> {
    const seed: ServerChange[] = Array.from({ length: SEED_ROWS }, (_, i) => ({ op: 'insert', id: `s${i + 1}`, project: PROJECTS[i % PROJECTS.length]!, title: `seed ${i + 1}` }))
    const backend = kind === 'postgres' ? await postgresBackend(seed) : await sqliteBackend(seed)
    const world = new World(backend)
    try {
      for (let c = 0; c < schedule.clients; c++) {
        const proxy = await faultProxy(backend.url.replace(/\/replica$/, ''))
        world.clients.push(new Client(c, world.temp.file(`client-${c}.db`), proxy, world.clock, FILTERS))
      }
      for (const [c, filters] of schedule.start.entries()) for (const f of filters) world.clients[c]!.subscribe(f)
      await world.settle()
    } catch (error) {
      await world.close()
      throw error
    }
    return world
  }

  /** Counts everything that moves: requests and answers at the proxies, actions, events. */
  private activity(): number {
    let n = 0
    for (const client of this.clients) {
      client.drainActions()
      n += client.proxy.activity() + client.actions.length + client.events.length
    }
    return n
  }

  /**
   * Waits until nothing has moved for a few quiet windows in a row (bounded): every loop is then
   * waiting on the virtual clock, an alarm, a held request, or a server lock.
   */
  async settle(): Promise<void> {
    const started = Date.now()
    let last = -1
    let quietSince = Date.now()
    let quietWindows = 0
    while (Date.now() - started < 20_000) {
      await sleep(QUIET_MS)
      const now = this.activity()
      if (now !== last) {
        last = now
        quietWindows = 0
        quietSince = Date.now()
        continue
      }
      quietWindows++
      const serverBusy = this.clients.some((c) => c.proxy.inFlight() > 0)
      if (quietWindows >= 2 && (!serverBusy || Date.now() - quietSince > BUSY_SERVER_MS)) return
    }
  }

  /** A live row's id chosen by `pick`, among those no open transaction holds; undefined if none. */
  private async serverRow(pick: number): Promise<string | undefined> {
    const locked = this.backend.lockedKeys()
    const ids = [...(await this.backend.liveVersions()).keys()].filter((id) => !locked.has(id)).sort()
    return ids.length === 0 ? undefined : ids[pick % ids.length]
  }

  private clientRow(c: number, pick: number): string | undefined {
    const rows = this.clients[c]!.visible()
    return rows.length === 0 ? undefined : rows[pick % rows.length]!.id
  }

  private newServerId = () => `s${++this.serverSeq}`

  /** Runs one step, then lets the world settle. */
  async step(step: Step): Promise<void> {
    const client = 'c' in step ? this.clients[step.c]! : undefined
    switch (step.do) {
      case 'serverInsert': {
        const id = this.newServerId()
        await this.backend.change({ op: 'insert', id, project: step.p, title: `server ${id}` })
        break
      }
      case 'serverUpdate':
      case 'serverMove':
      case 'serverDelete':
      case 'serverRekey':
      case 'serverDeleteBehindTheBack': {
        const id = await this.serverRow(step.pick)
        if (id === undefined) break
        if (step.do === 'serverUpdate') await this.backend.change({ op: 'update', id, title: `server ${++this.serverSeq}` })
        else if (step.do === 'serverMove') await this.backend.change({ op: 'move', id, project: step.p })
        else if (step.do === 'serverDelete') await this.backend.change({ op: 'delete', id })
        else if (step.do === 'serverRekey') await this.backend.change({ op: 'rekey', id, to: this.newServerId() })
        else {
          await this.backend.deleteBehindTheBack(id)
          this.diverged = true
        }
        break
      }
      case 'slowBegin': {
        if (this.backend.kind !== 'postgres' || this.backend.lockedKeys().size > 0) break
        if (step.change === 'insert') {
          const id = this.newServerId()
          await this.backend.beginSlow({ op: 'insert', id, project: step.p, title: `slow ${id}` })
          break
        }
        const id = await this.serverRow(step.pick)
        if (id === undefined) break
        await this.backend.beginSlow(
          step.change === 'update' ? { op: 'update', id, title: `slow ${++this.serverSeq}` } : step.change === 'move' ? { op: 'move', id, project: step.p } : { op: 'delete', id },
        )
        break
      }
      case 'slowCommit':
        await this.backend.commitSlow()
        break
      case 'subscribe':
        client!.subscribe(step.f)
        break
      case 'unsubscribe':
        client!.unsubscribe(step.f)
        break
      case 'create':
        client!.create(`c${step.c}-${++this.localSeq}`, step.p)
        break
      case 'edit':
      case 'moveLocal':
      case 'remove': {
        const id = this.clientRow(step.c, step.pick)
        if (id === undefined) break
        if (step.do === 'edit') client!.patch(id, {})
        else if (step.do === 'moveLocal') client!.patch(id, { project_id: step.p })
        else client!.remove(id)
        break
      }
      case 'restart':
        await client!.restart()
        break
      case 'focus':
        client!.focus()
        break
      case 'fault':
        client!.proxy.arm(step.kind, step.on, step.n)
        break
      case 'release':
        client!.proxy.release()
        break
      case 'tick':
        await this.clock.advance(step.ms, () => this.settle())
        break
      case 'digestDue':
        await this.clock.advance(DIGEST_INTERVAL, () => this.settle())
        for (const c of this.clients) c.focus()
        break
    }
    await this.settle()
  }

  /** The subscription keys a client has running now. */
  keysOf(client: Client): Array<{ key: string; filter: (typeof FILTERS)[number] }> {
    return [...client.subscribers.keys()].map((f) => ({ key: scopeKey({ collection: 'item', filter: FILTERS[f]! }), filter: FILTERS[f]! }))
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.clients.map(async (c) => {
      await c.close()
      await c.proxy.close()
    }))
    await this.backend.close()
    this.temp.remove()
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }
}
