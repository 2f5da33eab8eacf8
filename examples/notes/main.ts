/**
 * The notes example: `npm start`.
 *
 * Builds the React app once (again only when its sources change), then serves that production
 * build and the reference server's endpoints from one node:http server over an embedded SQLite
 * file, created and seeded with the 2015 example data on first run. The app keeps its replica in
 * IndexedDB and its shell in a service worker, so it opens with its notes while this server is
 * stopped. `npm run dev` is the same app through Vite's development server.
 *
 * Options (flags, or the environment): --port / PORT (default 3000), --host / HOST (default
 * 127.0.0.1: this machine only; 0.0.0.0 for every interface), --db / REPLICA_DB (default
 * ./data/replica-example.db).
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runMain, StartupError } from '../server/startup'
import { startNotesApp } from './appServer'

export { startNotesApp } from './appServer'

const USAGE = `npm start [-- --port 3000] [-- --host 127.0.0.1] [-- --db ./data/replica-example.db]
  (or PORT, HOST and REPLICA_DB in the environment)`

function readOptions() {
  let values: { port?: string; host?: string; db?: string; help?: boolean }
  try {
    ;({ values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' }, help: { type: 'boolean' } } }))
  } catch (error) {
    throw new StartupError(`${(error as Error).message}\nUsage: ${USAGE}`)
  }
  if (values.help) {
    console.log(`Usage: ${USAGE}`)
    process.exit(0)
  }
  const portText = values.port ?? process.env.PORT ?? '3000'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535) throw new StartupError(`Port ${JSON.stringify(portText)} is not a port number (0 to 65535)`)
  return { port, host: values.host ?? process.env.HOST ?? '127.0.0.1', file: values.db ?? process.env.REPLICA_DB ?? './data/replica-example.db' }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (isMain) {
  await runMain(async () => {
    const app = await startNotesApp(readOptions())
    if (app.seeded.notes) console.log(`Created and seeded ${app.file} (${app.seeded.projects} project, ${app.seeded.contacts} contacts, ${app.seeded.notes} notes).`)
    console.log(`The notes app is on ${app.url}  (data: ${app.file}; stop with Ctrl+C)`)
    const stop = () => {
      // An open tab's connections should not keep Ctrl+C waiting.
      setTimeout(() => process.exit(0), 2_000).unref()
      void app.close().then(() => process.exit(0))
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
