/**
 * Storage log benchmark (issue 13): what a save costs now that it writes what changed.
 *   - one-row save: bytes written to make one changed row durable, with 10,000 and 100,000 rows
 *     held: file (the appended record, and this process's write counter), IndexedDB
 *     (fake-indexeddb: bytes put), memory (documents copied);
 *   - hydration from a file a sync's saves left (and after its compaction): a fresh process until
 *     whenHydrated(), and the storage-to-Loki part alone;
 *   - a live update at N held: the longest event-loop block from the change to its save (file and
 *     memory), and a re-subscribe bringing one row: from the pull's answer to `synced`.
 * Each figure is the median of fresh processes. Run: npx tsx bench/storageLog.ts [--sizes=10000,100000] [--million] [--runs=3]
 * (or `npm run bench -- --storage`).
 */
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { createFocusManager, filePersistence, memoryPersistence } from '../src'
import type { Persistence, Transport } from '../src'
import type { WireRow } from '../src/core/protocol'
import { openLocalStore } from '../src/store/localStore'
import { memoryTransport } from './lib/memoryTransport'
import { fmt, table } from './lib/output'
import { ALL_NOTES, replicaStore, when, whenSynced } from './lib/replicaStore'
import { noteRow, noteRows } from './lib/rows'
import { median, round } from './lib/stats'

const MARK = 'STORAGE_RESULT '
const SELF = fileURLToPath(import.meta.url)
const collections = { note: { primaryKey: 'id' } }
const scope = { key: 'note:{}', ...ALL_NOTES }
type Result = Record<string, number>
type Args = { task: string; n: number; storage?: 'file' | 'memory' | 'idb'; file: string }

const wire = (rows: readonly WireRow[]) => rows.map((row) => ({ key: row.id as number, version: row._version, deleted: false as const, row }))
/** Bytes this process has written (Linux), or NaN. */
const written = () => Number(/wchar: (\d+)/.exec(existsSync('/proc/self/io') ? readFileSync('/proc/self/io', 'utf8') : '')?.[1] ?? NaN)

/**
 * A store holding n rows the way a sync leaves it: pages of 250 with their cursors (the offset,
 * as memoryTransport counts), saved every 40 pages, caught up.
 */
async function plant(persistence: Persistence, n: number) {
  const store = await openLocalStore({ persistence, collections, saveInterval: 3_600_000 })
  const rows = noteRows(n)
  for (let from = 0; from < n; from += 250) {
    store.applyPage({ subscription: scope, changes: wire(rows.slice(from, from + 250)), checkpoint: Math.min(n, from + 250) })
    if ((from / 250) % 40 === 39) await store.flush()
  }
  store.caughtUp(scope)
  store.markSynced(scope.key, new Date().toISOString())
  await store.flush()
  return store
}

async function measure({ task, n, storage, file }: Args): Promise<Result> {
  if (task === 'one-row') {
    rmSync(file, { force: true })
    let bytesPut = 0
    if (storage === 'idb') {
      await import('./lib/fakeIndexedDb')
      const put = IDBObjectStore.prototype.put
      IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
        bytesPut += Buffer.byteLength(JSON.stringify(value)) + Buffer.byteLength(JSON.stringify(key ?? null))
        return put.call(this, value, key)
      }
    }
    const { indexedDbPersistence } = await import('../src')
    let docs = 0
    const inner = storage === 'file' ? filePersistence(file, { compactWhen: () => false }) : storage === 'idb' ? indexedDbPersistence(`one-row-${n}`, { compactWhen: () => false }) : memoryPersistence()
    const counted: Persistence = {
      name: inner.name,
      connect: async () => {
        const connection = await inner.connect()
        return { ...connection, save: (take) => connection.save((full) => { const changes = take(full); docs = changes.collections.reduce((s, c) => s + c.put.length + c.removed.length, 0); return changes }) }
      },
    }
    const store = await plant(counted, n)
    const size = storage === 'file' ? statSync(file).size : 0
    const before = written()
    bytesPut = 0
    const start = performance.now()
    store.applyPage({ subscription: scope, changes: wire([noteRow(6, n + 1)]), checkpoint: n + 1 })
    await store.flush()
    const ms = performance.now() - start
    const wchar = written() - before
    const bytes = storage === 'file' ? statSync(file).size - size : storage === 'idb' ? bytesPut : 0
    await store.close()
    return { ms, bytes, wchar, docs }
  }
  if (task === 'plant') {
    rmSync(file, { force: true })
    const start = performance.now()
    const store = await plant(filePersistence(file), n)
    await store.close()
    return { ms: performance.now() - start, bytes: statSync(file).size }
  }
  // The platform modules a file persistence loads when it connects, loaded before the clock starts:
  // through this benchmark's TypeScript loader each costs tens of milliseconds, in an app next to none.
  await Promise.all([import('node:fs/promises'), import('node:path'), import('node:zlib')])
  // CPU time next to wall time: on a machine shared with other work, the wall time waits for a core.
  const cpu = process.cpuUsage()
  const cpuMs = () => {
    const { user, system } = process.cpuUsage(cpu)
    return (user + system) / 1000
  }
  if (task === 'open') {
    const start = performance.now()
    const store = await openLocalStore({ persistence: filePersistence(file), collections })
    const ms = performance.now() - start
    const cpuUsed = cpuMs()
    const rows = store.readAll('note').length
    await store.close()
    return { ms, cpuMs: cpuUsed, rows }
  }
  // The end-to-end benchmark's hydration (its transport is never called).
  if (task === 'hydrate') {
    const hydrated = await (await import('./e2e/hydrate')).hydrate('http://127.0.0.1:9', file)
    return { ...hydrated, cpuMs: cpuMs() }
  }
  return liveUpdates({ n, storage: storage ?? 'file', file })
}

/**
 * N rows held (hydrated from a planted file, or planted into memory), then a re-subscribe bringing
 * one changed row, then live changes one at a time, each pulled at once (a focus event, as the
 * live channel's poke does) and saved; the event loop is watched from the first change to the
 * last save, plus a second of background work (a compaction's last step runs on this thread).
 */
async function liveUpdates({ n, storage, file }: { n: number; storage: 'file' | 'memory' | 'idb'; file: string }): Promise<Result> {
  const rows: WireRow[] = noteRows(n) as unknown as WireRow[]
  let answered = 0
  const inner = memoryTransport(rows, { json: true })
  const transport: Transport = { pull: async (request) => { const page = await inner.pull(request); answered = performance.now(); return page } }
  // A copy of the planted file: every run starts from the same one.
  if (storage === 'file') copyFileSync(file, `${file}.live`)
  const persistence = storage === 'file' ? filePersistence(`${file}.live`) : memoryPersistence()
  if (storage === 'memory') await (await plant(persistence, n)).close()
  const focusManager = createFocusManager({ setEventListener: () => undefined })
  const app = replicaStore(transport, { persistence, focusManager })
  const { store, replica } = app
  await store.replica.whenHydrated()
  // A re-subscribe (a component remounting) that brings one changed row.
  rows.push(noteRow(2, n + 1) as unknown as WireRow)
  const synced = whenSynced(app)
  store.dispatch(replica.actions.subscribe(ALL_NOTES))
  await synced
  const resubscribeMs = performance.now() - answered
  await store.replica.flush()

  const blocked = monitorEventLoopDelay({ resolution: 1 })
  const endToEnd: number[] = []
  blocked.enable()
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    const id = 1 + ((i * 7919) % n)
    const body = `live ${i}`
    rows.push({ ...noteRow(id - 1, n + 2 + i), body } as unknown as WireRow)
    const arrived = when(store, () => replica.selectors.note.selectById(store.getState(), id)?.body === body)
    const start = performance.now()
    focusManager.setFocused(false)
    focusManager.setFocused(true)
    endToEnd.push((await arrived) - start)
    await store.replica.flush()
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  blocked.disable()
  await store.replica.close()
  return { resubscribeMs, liveMs: median(endToEnd), maxBlockedMs: blocked.max / 1e6, held: replica.selectors.note.selectTotal(store.getState()) }
}

function inChild(args: Args): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--max-old-space-size=6144', SELF, '--task', JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(MARK))
      if (line) resolve(JSON.parse(line.slice(MARK.length)) as Result)
      else reject(new Error(`${args.task} ended with ${code} and no result:\n${out.slice(-2000)}`))
    })
  })
}

async function medianOfRuns(args: Args, runs: number): Promise<Result> {
  const results: Result[] = []
  for (let i = 0; i < runs; i++) results.push(await inChild(args))
  return Object.fromEntries(Object.keys(results[0] as Result).map((key) => [key, median(results.map((r) => r[key] as number))]))
}

async function main(): Promise<void> {
  const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}`))?.split('=')[1]
  const runs = Number(flag('runs') ?? 3)
  const sizes = (flag('sizes') ?? '10000,100000').split(',').map(Number)
  if (process.argv.includes('--million') && !sizes.includes(1_000_000)) sizes.push(1_000_000)
  const dir = mkdtempSync(join(tmpdir(), 'bench-storage-'))
  const file = join(dir, 'replica.db')
  const emit = (figure: Record<string, unknown>) => console.log(JSON.stringify({ ...figure, runs }))
  const saves: (string | number)[][] = []
  const loads: (string | number)[][] = []
  try {
    for (const n of sizes) {
      for (const storage of ['file', 'idb', 'memory'] as const) {
        if (storage === 'idb' && n > 100_000) continue
        const r = await medianOfRuns({ task: 'one-row', n, storage, file }, runs)
        emit({ bench: 'one-row-save', contender: storage, n, bytes: r.bytes, process_bytes_written: r.wchar, docs: r.docs, ms: round(r.ms as number, 2) })
        saves.push([storage, n.toLocaleString('en-US'), fmt(r.bytes, 0), fmt(r.wchar, 0), fmt(r.docs, 0), fmt(r.ms, 2)])
      }
      const planted = await inChild({ task: 'plant', n, file })
      const open = await medianOfRuns({ task: 'open', n, file }, runs)
      const hydrate = await medianOfRuns({ task: 'hydrate', n, file }, runs)
      const live = await medianOfRuns({ task: 'live', n, storage: 'file', file }, runs)
      const liveMemory = await medianOfRuns({ task: 'live', n, storage: 'memory', file }, runs)
      emit({ bench: 'hydration', contender: 'file', n, ms: round(hydrate.ms as number), cpu_ms: round(hydrate.cpuMs as number), storage_to_loki_ms: round(open.ms as number),
        storage_to_loki_cpu_ms: round(open.cpuMs as number), file_mb: round((planted.bytes as number) / 1e6, 1) })
      for (const [contender, r] of [['file', live], ['memory', liveMemory]] as const) {
        emit({ bench: 'live-update', contender, n, ms: round(r.liveMs as number, 2), max_blocked_ms: round(r.maxBlockedMs as number, 1), resubscribe_to_synced_ms: round(r.resubscribeMs as number, 2) })
      }
      loads.push([n.toLocaleString('en-US'), fmt((planted.bytes as number) / 1e6, 1), `${fmt(open.ms)} (${fmt(open.cpuMs)})`, `${fmt(hydrate.ms)} (${fmt(hydrate.cpuMs)})`, fmt(live.resubscribeMs, 2), fmt(liveMemory.resubscribeMs, 2), fmt(live.liveMs, 1), fmt(live.maxBlockedMs, 1), fmt(liveMemory.maxBlockedMs, 1)])
    }
    console.log(table(`One changed row made durable (median of ${runs} fresh processes)`, ['storage', 'rows held', 'bytes of the save', 'bytes this process wrote', 'documents', 'ms'], saves))
    console.log(table(`Hydration and live updates (median of ${runs} fresh processes)`,
      ['rows held', 'file MB', 'file → Loki ms (CPU ms)', 'file → whenHydrated ms (CPU ms)', 're-subscribe: answer → synced ms (file)', '(memory)', 'live: change → Redux ms (file)', 'live: max event-loop block ms (file)', '(memory)'], loads))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--task') {
  const result = await measure(JSON.parse(process.argv[3] as string) as Args)
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`)
  process.exit(0)
} else {
  await main()
}
