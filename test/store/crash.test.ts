import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { filePersistence } from '../../src'
import { openLocalStore } from '../../src/store/localStore'
import { cursorOnDisk } from '../fixtures/logFile'
import { loopbackServer } from '../fixtures/loopbackServer'
import type { LoopbackServer } from '../fixtures/loopbackServer'
import { notes, tempDir } from './harness'

const CHILD = fileURLToPath(new URL('../fixtures/crashChild.ts', import.meta.url))
const ROWS = 20_000
const KILLS = 24

/** mulberry32: a small PRNG, so every run of this test kills at the same moments. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Starts the app process; resolves its stdout lines as they come. */
function startChild(env: Record<string, string>): { child: ChildProcess; lines: string[]; next: (prefix: string) => Promise<string | undefined> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  const waiters: { prefix: string; resolve: (line: string | undefined) => void }[] = []
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(line)
    for (const waiter of waiters.filter((w) => line.startsWith(w.prefix))) waiter.resolve(line)
  })
  child.on('exit', () => waiters.forEach((w) => w.resolve(undefined)))
  return {
    child,
    lines,
    next: (prefix) => {
      const seen = lines.find((line) => line.startsWith(prefix))
      if (seen || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(seen)
      return new Promise((resolve) => waiters.push({ prefix, resolve }))
    },
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.on('exit', () => resolve()))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let server: LoopbackServer
let temp: ReturnType<typeof tempDir>
beforeAll(async () => {
  temp = tempDir()
  // Slow pages make the 20,000-row sync last a few seconds, so kills land in the middle of it.
  server = await loopbackServer({ tables: { note: notes(ROWS) }, delayMs: 8 })
})
afterAll(async () => {
  await server.stop()
  temp.cleanup()
})

describe('an app process killed with SIGKILL at random moments', () => {
  it(`resumes after each of ${KILLS} kills (some during a compaction) from its last durable cursor, and ends with exactly the server's rows`, async () => {
    const path = join(temp.dir, 'replica.db')
    const random = prng(20_240_501)
    const env = (run: number, final = false) => ({
      REPLICA_DB: path,
      REPLICA_URL: server.url,
      REPLICA_RUN: String(run),
      REPLICA_SAVE_INTERVAL: '50',
      REPLICA_COMPACT: 'always',
      ...(final ? { REPLICA_FINAL: '1' } : {}),
    })
    const runs: { run: number; storedAtStart: string | null }[] = []
    let midCompaction = 0

    for (let run = 0; run < KILLS; run++) {
      runs.push({ run, storedAtStart: cursorOnDisk(path) })
      const { child, next } = startChild(env(run))
      if (run % 6 === 5) {
        // Now and then while the process is still starting or reading its database.
        await sleep(random() * 400)
      } else if (run % 6 === 2) {
        // Now and then just after a compaction has begun writing its snapshot.
        await next('hydrated')
        const giveUp = Date.now() + 5_000
        while (!existsSync(`${path}.compact`) && child.exitCode === null && Date.now() < giveUp) await sleep(1)
        await sleep(random() * 10)
      } else {
        // Otherwise at a random moment of the sync: some time after its first request.
        await next('hydrated')
        while (!server.log.some((pull) => pull.run === String(run)) && child.exitCode === null) await sleep(2)
        // Only once this run has made a page durable: then the resume points differ because each run
        // progressed, not because the machine happened to be fast enough between two kills.
        const giveUp = Date.now() + 20_000
        while (cursorOnDisk(path) === runs[run]!.storedAtStart && child.exitCode === null && Date.now() < giveUp) await sleep(50)
        await sleep(random() * 400)
      }
      child.kill('SIGKILL')
      await exited(child)
      expect(child.signalCode).toBe('SIGKILL')
      // A compaction's temp file still there: this kill cut a compaction short.
      if (existsSync(`${path}.compact`)) midCompaction++
      // Meanwhile the server's data moves on: edits, deletes, new rows.
      for (let i = 0; i < 20; i++) server.upsert('note', { id: 1 + Math.floor(random() * ROWS), project_id: 1, body: `edited in round ${run}` })
      for (let i = 0; i < 3; i++) server.remove('note', 1 + Math.floor(random() * ROWS))
      for (let i = 0; i < 10; i++) server.upsert('note', { id: ROWS + run * 10 + i + 1, project_id: 1, body: `added in round ${run}` })
    }

    const final = KILLS
    runs.push({ run: final, storedAtStart: cursorOnDisk(path) })
    const last = startChild(env(final, true))
    expect(await last.next('synced')).toBeDefined()
    await exited(last.child)
    expect(last.child.exitCode).toBe(0)

    // Every restart asked first for exactly what its predecessor had saved, so once a save had
    // happened no restart began again from the first page.
    const firstPull = (run: number) => server.log.find((pull) => pull.run === String(run))
    for (const { run, storedAtStart } of runs) {
      const pull = firstPull(run)
      if (pull) expect(pull.cursor, `run ${run}`).toBe(storedAtStart)
    }
    const firstSaved = runs.findIndex((r) => r.storedAtStart !== null)
    expect(firstSaved).toBeGreaterThan(0)
    expect(runs.slice(firstSaved).every(({ run }) => firstPull(run)?.cursor !== null)).toBe(true)
    expect(server.log.filter((pull) => pull.cursor === null).length).toBeLessThanOrEqual(firstSaved)
    // The kills fell all along the sync: many different resume points.
    expect(new Set(runs.map((r) => r.storedAtStart)).size).toBeGreaterThan(KILLS / 2)

    // Compacting after every save, some kills fell in the middle of a compaction.
    expect(midCompaction).toBeGreaterThanOrEqual(2)
    // No kill ever damaged the database: none was found unreadable and set aside.
    expect(readdirSync(temp.dir).filter((name) => name.includes('unreadable') || name.includes('incompatible'))).toEqual([])
    const local = await openLocalStore({ persistence: filePersistence(path), collections: { note: { primaryKey: 'id' } } })
    const rows = local.readAll('note').sort((a, b) => Number(a.id) - Number(b.id))
    await local.close()
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length)
    expect(rows).toEqual(server.live('note'))
    expect(last.lines.at(-1)).toBe(`synced ${rows.length}`)
  }, 240_000)
})
