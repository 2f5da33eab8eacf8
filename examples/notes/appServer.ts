import http from 'node:http'
import { createExampleHandler, openExampleDatabase } from '../server/main'
import { listen } from '../server/startup'
import { loadAppFiles } from './appFiles'
import { ensureBuild } from './build'
import { serveReplica } from './replicaRoutes'

export interface NotesAppOptions {
  /** The SQLite file. @default process.env.REPLICA_DB ?? './data/replica-example.db' */
  file?: string
  /** @default process.env.PORT ?? 3000 (0: any free port) */
  port?: number
  /** The interface to listen on. @default process.env.HOST ?? '127.0.0.1' (this machine only) */
  host?: string
  /** A production build to serve. @default the current one, built first if needed */
  dist?: string
  /** Where progress lines go (the build's). @default console.log */
  log?: (line: string) => void
}

/**
 * The notes app's server: the production build of the page and, under /replica, the reference
 * server's endpoints over an embedded SQLite file (created and seeded on first run).
 *
 * @example
 * const app = await startNotesApp({ file: './data/notes.db', port: 0 })
 * console.log(app.url) // http://127.0.0.1:41234
 * await app.close()
 */
export async function startNotesApp(options: NotesAppOptions = {}) {
  const dist = options.dist ?? (await ensureBuild(options.log))
  const app = await loadAppFiles(dist)
  const { db, file, seeded } = openExampleDatabase(options.file ?? process.env.REPLICA_DB ?? './data/replica-example.db')
  try {
    const replica = await createExampleHandler(db)
    const onError = (error: unknown, res: http.ServerResponse) => {
      console.error(error)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end('{"error":{"code":"internal","message":"internal server error"}}')
      else res.destroy()
    }
    const server = http.createServer({ maxHeaderSize: replica.limits.maxQueryLength + 16384 }, (req, res) => {
      const pathname = (req.url ?? '/').split('?')[0]!
      if (pathname === '/replica' || pathname.startsWith('/replica/')) serveReplica(replica, req, res).catch((error: unknown) => onError(error, res))
      else app.serve(req, res)
    })
    const port = options.port ?? Number(process.env.PORT ?? 3000)
    const url = await listen(server, port, options.host ?? process.env.HOST ?? '127.0.0.1')
    return {
      url,
      file,
      seeded,
      dist,
      async close() {
        // Live channels never go idle: end them, then the server, then the idle keep-alive sockets.
        await replica.close()
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        await closed
        db.close()
      },
    }
  } catch (error) {
    db.close()
    throw error
  }
}
