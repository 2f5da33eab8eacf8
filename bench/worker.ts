/**
 * Entry point of the child processes: `worker.ts <task> <json args>`. Each task measures one thing
 * once and reports one object; run.ts starts a fresh process per run and takes medians.
 */
import { report } from './lib/child'
import { noteRows } from './lib/rows'
import type { WireRow } from '../src/core/protocol'

type Args = Record<string, unknown>
type Task = (args: Args) => Promise<unknown>

const rows = (args: Args) => noteRows(args.n as number) as unknown as WireRow[]
const url = (args: Args) => args.url as string
const file = (args: Args) => args.file as string

const tasks: Record<string, Task> = {
  // Issue 2: in-process source.
  'core-sync': async (args) => (await import('./core/initialSync')).initialSync(rows(args), args.json === true),
  'core-onerow-replica': async (args) => (await import('./core/oneRow')).replicaOneRow(rows(args)),
  'core-onerow-rtk': async (args) => (await import('./core/oneRow')).rtkOneRow(rows(args)),
  // Issue 15: evicting one small scope among many rows held.
  'core-evict': async (args) => (await import('./core/evictScope')).evictScope(rows(args)),
  'core-reducer': async (args) => (await import('./core/reducer')).reducerBench(args.n as number),
  // Issue 6: against the reference server on loopback.
  'e2e-floor': async (args) => (await import('./e2e/floor')).floor(url(args)),
  'e2e-replica': async (args) =>
    (await import('./e2e/replicaSync')).replicaSync(url(args), args.memory === true ? undefined : file(args), {
      ...(args.saveInterval === undefined ? {} : { saveInterval: args.saveInterval as number }),
      prefetch: args.prefetch === true,
    }),
  'e2e-memory': async (args) => (await import('./e2e/replicaSync')).replicaSync(url(args), file(args), { sampleMemory: true }),
  'e2e-hydrate': async (args) => (await import('./e2e/hydrate')).hydrate(url(args), file(args)),
  'e2e-2015': async (args) => (await import('./e2e/seed2015')).seed2015(url(args), args.capMs as number),
  'e2e-rxdb': async (args) => (await import('./e2e/rxdb')).rxdb(url(args)),
  'e2e-live': async (args) => (await import('./e2e/liveUpdate')).liveUpdate(url(args), file(args), args.n as number),
}

const [name, json] = process.argv.slice(2)
const task = tasks[name ?? '']
if (!task) {
  console.error(`unknown bench task ${name}; known: ${Object.keys(tasks).join(', ')}`)
  process.exit(2)
}
report(await task(JSON.parse(json ?? '{}') as Args))
// Some contenders leave timers or sockets behind; the figure is taken, so leave now.
process.exit(0)
