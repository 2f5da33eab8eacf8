/**
 * Persistence benchmark (issue 3): what durability costs.
 *   - hydrate: a fresh process opens the file a 100,000-row sync left and waits for whenHydrated()
 *     (file read, Loki load and indexes, every row into Redux). Target < 500 ms.
 *   - initial sync: 100,000 rows with file persistence vs memory persistence, default saveInterval
 *     (1000 ms). Target: file <= 1.3x memory. The transport is in memory (pages served as JSON and
 *     validated by the HTTP transport's own parser), so the ratio is not diluted by network time.
 *     A third contender saves only once, at catch-up: what the periodic saves themselves cost
 *     (a save writes what changed: memoryPersistence copies the changed documents, the file
 *     appends them serialized and fsyncs, so file vs memory is the serialization and the disk).
 *   - close: the save at close (what the catch-up's save left: the last sync time).
 * Each figure is the median of fresh processes. Run: npx tsx bench/persistence.ts [--n=100000] [--runs=3]
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { configureStore } from '@reduxjs/toolkit'
import { collection, createReplica, filePersistence, memoryPersistence } from '../src'
import type { Persistence, Transport } from '../src'
import { memoryTransport } from './lib/memoryTransport'
import { fmt, table } from './lib/output'
import { noteRows } from './lib/rows'
import type { NoteRow } from './lib/rows'
import { median } from './lib/stats'

type Task = 'sync-memory' | 'sync-memory-one-save' | 'sync-file' | 'hydrate-file'
type Result = { ms: number; rows: number; saveMs?: number; bytes?: number }
const MARK = 'PERSISTENCE_RESULT '
const SELF = fileURLToPath(import.meta.url)

const ALL_NOTES = { collection: 'note', filter: {} }

/** A production store (RTK's dev checks off) with the replica. */
function replicaStore(transport: Transport, options: { persistence: Persistence; saveInterval?: number }) {
  const replica = createReplica({ collections: { note: collection<NoteRow>() }, transport, ...options })
  const store = configureStore({
    reducer: { [replica.reducerPath]: replica.reducer },
    middleware: (gDM) => gDM({ serializableCheck: false, immutableCheck: false }).concat(replica.middleware),
    enhancers: (gDE) => gDE().concat(replica.enhancer),
  })
  return { replica, store }
}

/** Resolves when the notes subscription is `synced`. */
function whenSynced({ replica, store }: ReturnType<typeof replicaStore>): Promise<void> {
  return new Promise((resolve, reject) => {
    const unsubscribe = store.subscribe(() => {
      const { status, error } = replica.selectors.selectSubscription(store.getState(), ALL_NOTES)
      if (status === 'synced') resolve()
      else if (status === 'error') reject(new Error(JSON.stringify(error)))
      else return
      unsubscribe()
    })
  })
}

/** One measurement, in this (fresh) process. */
async function measure(task: Task, n: number, file: string): Promise<Result> {
  if (task === 'hydrate-file') {
    const start = performance.now()
    const { store, replica } = replicaStore(memoryTransport([]), { persistence: filePersistence(file) })
    await store.replica.whenHydrated()
    const ms = performance.now() - start
    const rows = replica.selectors.note.selectTotal(store.getState())
    await store.replica.close()
    return { ms, rows }
  }
  if (task === 'sync-file') rmSync(file, { force: true })
  const rows = noteRows(n)
  const persistence = task === 'sync-file' ? filePersistence(file) : memoryPersistence()
  // The one-save contender saves only when the pull catches up: the floor for periodic saves.
  const app = replicaStore(memoryTransport(rows, { json: true }), { persistence, ...(task === 'sync-memory-one-save' ? { saveInterval: 3_600_000 } : {}) })
  await app.store.replica.whenHydrated()
  const start = performance.now()
  const synced = whenSynced(app)
  app.store.dispatch(app.replica.actions.subscribe(ALL_NOTES))
  await synced
  const ms = performance.now() - start
  // Close saves what the catch-up flush did not (the last sync time): a full save at this size.
  const saveStart = performance.now()
  app.store.dispatch(app.replica.actions.unsubscribe(ALL_NOTES))
  await app.store.replica.close()
  const saveMs = performance.now() - saveStart
  return { ms, rows: app.replica.selectors.note.selectTotal(app.store.getState()), saveMs, ...(task === 'sync-file' ? { bytes: statSync(file).size } : {}) }
}

function inChild(task: Task, n: number, file: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--task', task, String(n), file], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(MARK))
      if (line) resolve(JSON.parse(line.slice(MARK.length)) as Result)
      else reject(new Error(`${task} ended with ${code} and no result:\n${out.slice(-2000)}`))
    })
  })
}

async function main(): Promise<void> {
  const flag = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
  const n = flag('n', 100_000)
  const runs = flag('runs', 3)
  const dir = mkdtempSync(join(tmpdir(), 'bench-persistence-'))
  const file = join(dir, 'replica.db')
  const figures: { bench: string; contender: string; results: Result[] }[] = []
  const run = async (bench: string, contender: string, task: Task) => {
    const results: Result[] = []
    for (let i = 0; i < runs; i++) results.push(await inChild(task, n, file))
    figures.push({ bench, contender, results })
    return median(results.map((r) => r.ms))
  }
  try {
    await run('initial-sync', 'redux-replica memory, one save', 'sync-memory-one-save')
    const memory = await run('initial-sync', 'redux-replica memory', 'sync-memory')
    const onFile = await run('initial-sync', 'redux-replica file', 'sync-file')
    await run('hydrate', 'redux-replica file', 'hydrate-file')
    const rowsOut: (string | number)[][] = []
    for (const { bench, contender, results } of figures) {
      const ms = median(results.map((r) => r.ms))
      const saveMs = results[0]?.saveMs === undefined ? undefined : median(results.map((r) => r.saveMs as number))
      const bytes = results[0]?.bytes
      const extra = {
        ...(saveMs === undefined ? {} : { full_save_ms: Math.round(saveMs) }),
        ...(bytes === undefined ? {} : { file_mb: Math.round(bytes / 1e5) / 10 }),
        ...(bench === 'initial-sync' && contender.endsWith('file') ? { ratio_to_memory: Math.round((onFile / memory) * 100) / 100 } : {}),
      }
      console.log(JSON.stringify({ bench, contender, n, ms: Math.round(ms), rows_per_s: Math.round((n / ms) * 1000), runs, ...extra }))
      rowsOut.push([`${bench} (${contender})`, fmt(ms), fmt((n / ms) * 1000), saveMs === undefined ? '-' : fmt(saveMs), 'ratio_to_memory' in extra ? `${extra.ratio_to_memory}x` : '-'])
    }
    console.log(table(`Persistence, ${n.toLocaleString('en-US')} rows, median of ${runs} fresh processes`, ['figure', 'ms', 'rows/s', 'close (full save) ms', 'file/memory'], rowsOut))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--task') {
  const result = await measure(process.argv[3] as Task, Number(process.argv[4]), process.argv[5] as string)
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`)
  process.exit(0)
} else {
  await main()
}
