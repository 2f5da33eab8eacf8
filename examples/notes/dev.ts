/**
 * The notes example for hacking on it: `npm run dev`. The same server as `npm start`, with the
 * page served by Vite's development server (modules on demand, hot reload) in place of the
 * production build, and no service worker. Same options: PORT, HOST, REPLICA_DB.
 */
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer as createVite } from 'vite'
import { createExampleHandler, openExampleDatabase } from '../server/main'
import { listen, runMain } from '../server/startup'
import { serveReplica } from './replicaRoutes'

const here = path.dirname(fileURLToPath(import.meta.url))

await runMain(async () => {
  const host = process.env.HOST ?? '127.0.0.1'
  const server = http.createServer()
  const vite = await createVite({
    configFile: path.join(here, 'vite.config.ts'),
    // Vite's hot-reload websocket shares this server (and so its host), not a port of its own.
    server: { middlewareMode: true, hmr: { server }, fs: { strict: true, allow: [path.join(here, '..', '..')], deny: ['**/data/**', '**/*.db', '**/*.db-*', '.env*'] } },
    appType: 'spa',
  })
  const { db, file, seeded } = openExampleDatabase(process.env.REPLICA_DB ?? './data/replica-example.db')
  const replica = await createExampleHandler(db)
  server.on('request', (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0]!
    if (pathname === '/replica' || pathname.startsWith('/replica/')) void serveReplica(replica, req, res)
    else vite.middlewares(req, res)
  })
  const url = await listen(server, Number(process.env.PORT ?? 3000), host)
  if (seeded.notes) console.log(`Created and seeded ${file}.`)
  console.log(`The notes app (development, Vite) is on ${url}`)
})
