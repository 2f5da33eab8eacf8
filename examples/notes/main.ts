/**
 * The example app: `npm start`.
 *
 * One node:http server on an embedded SQLite file (created and seeded with the 2015 example data
 * on first run) that serves the replica endpoints and, through Vite, the React notes app. The
 * app keeps its replica in IndexedDB, so it opens with its data while the server is down.
 *
 * Environment: PORT (default 3000), HOST, REPLICA_DB (see examples/server/main.ts).
 */
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer as createVite } from 'vite'
import { startExampleServer } from '../server/main'

const here = path.dirname(fileURLToPath(import.meta.url))

export async function startNotesApp(options: { file?: string; port?: number; host?: string } = {}) {
  const vite = await createVite({
    configFile: path.join(here, 'vite.config.ts'),
    // The page's websocket to Vite gets a port of its own: in middleware mode Vite would take the
    // fixed 24678, shared by every app started at once (the two e2e files, other checkouts), and a
    // page that reaches another app's socket fails with "WebSocket closed without opened".
    server: { middlewareMode: true, hmr: false, ws: { port: await freePort() } },
    appType: 'spa',
  })
  const server = await startExampleServer({ ...options, fallback: vite.middlewares })
  return {
    ...server,
    async close() {
      await vite.close()
      await server.close()
    },
  }
}

/** A loopback port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (isMain) {
  const app = await startNotesApp()
  console.log(`redux-replica notes app on ${app.url}  (database: ${app.file})`)
  console.log(`  replica endpoint: ${app.url}/replica/pull?collection=note&filter=${encodeURIComponent('{"project_id":1}')}`)
  const stop = () => void app.close().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
