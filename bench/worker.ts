/**
 * Entry point of the child processes: `worker.ts <task> <json args>`. Each task measures one thing
 * once and reports one object; run.ts starts a fresh process per run and takes medians.
 */
import { report } from './lib/child'
import { noteRows } from './lib/rows'
import type { WireRow } from '../src/protocol'

type Task = (args: Record<string, unknown>) => Promise<unknown>

const rows = (args: Record<string, unknown>) => noteRows(args.n as number) as unknown as WireRow[]

const tasks: Record<string, Task> = {
  'core-sync': async (args) => (await import('./core/initialSync')).initialSync(rows(args), args.json === true),
  'core-onerow-replica': async (args) => (await import('./core/oneRow')).replicaOneRow(rows(args)),
  'core-onerow-rtk': async (args) => (await import('./core/oneRow')).rtkOneRow(rows(args)),
}

const [name, json] = process.argv.slice(2)
const task = tasks[name ?? '']
if (!task) {
  console.error(`unknown bench task ${name}; known: ${Object.keys(tasks).join(', ')}`)
  process.exit(2)
}
report(await task(JSON.parse(json ?? '{}') as Record<string, unknown>))
// Some contenders leave timers or sockets behind; the figure is taken, so leave now.
process.exit(0)
