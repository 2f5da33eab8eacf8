/**
 * The notes app's production build: `npm run build:example`, and what `npm start` runs before it
 * serves (a no-op when nothing changed).
 *
 * A build goes to examples/notes/dist/<hash of its sources>/, so a change to the app, the library
 * or the lock file makes a new one, and an unchanged tree reuses the last. Processes that start
 * together (two test files, two terminals) build once: one holds a lock file, the others wait.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, renameSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { appShellWorker } from './shellWorker'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '..', '..')
const distRoot = path.join(here, 'dist')
/** What the bundle is made of. */
const INPUTS = ['index.html', 'vite.config.ts', 'build.ts', 'shellWorker.ts', 'src', 'public'].map((p) => path.join(here, p)).concat([path.join(repo, 'src'), path.join(repo, 'package-lock.json')])
/** A lock older than this is taken to be a crashed build's. */
const STALE_LOCK_MS = 10 * 60_000

/** A hash of every input file's path and content. */
export function sourceHash(): string {
  const hash = createHash('sha256')
  const visit = (file: string) => {
    if (!existsSync(file)) return
    if (statSync(file).isDirectory()) {
      for (const name of readdirSync(file).sort()) visit(path.join(file, name))
      return
    }
    hash.update(path.relative(repo, file)).update('\0').update(readFileSync(file)).update('\0')
  }
  for (const input of INPUTS) visit(input)
  return hash.digest('hex').slice(0, 16)
}

/**
 * The directory of a production build of the current sources, built first if there is none.
 *
 * @example const dist = await ensureBuild() // examples/notes/dist/3f2a…/
 */
export async function ensureBuild(log: (line: string) => void = console.log): Promise<string> {
  const out = path.join(distRoot, sourceHash())
  const lock = `${out}.lock`
  mkdirSync(distRoot, { recursive: true })
  for (;;) {
    if (existsSync(path.join(out, 'index.html'))) return out
    if (takeLock(lock)) break
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  try {
    if (existsSync(path.join(out, 'index.html'))) return out
    log('Building the notes app (first start, or its sources changed)…')
    const started = Date.now()
    const tmp = `${out}.tmp`
    const { build } = await import('vite')
    // Vite builds for whatever NODE_ENV says (a test runner's `test` would give React's
    // development build and no service worker): this is the production build, always.
    const nodeEnv = process.env.NODE_ENV
    process.env.NODE_ENV = 'production'
    try {
      // Errors only: Vite warns that the library's Node-only modules (filePersistence) stay out
      // of the browser bundle, which is what should happen.
      await build({ configFile: path.join(here, 'vite.config.ts'), mode: 'production', logLevel: 'error', plugins: [appShellWorker()], build: { outDir: tmp, emptyOutDir: true } })
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV
      else process.env.NODE_ENV = nodeEnv
    }
    renameSync(tmp, out)
    log(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
    removeOtherBuilds(path.basename(out))
    return out
  } finally {
    rmSync(lock, { force: true })
  }
}

/** Creates the lock file, or clears a stale one; false while another build holds it. */
function takeLock(lock: string): boolean {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' })
    return true
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { force: true })
    } catch {
      // Gone meanwhile: the next round takes it.
    }
    return false
  }
}

/** Older builds: each serving process holds its files in memory, so removing them is safe. */
function removeOtherBuilds(keep: string) {
  for (const name of readdirSync(distRoot)) {
    if (name === keep || name.endsWith('.lock')) continue
    // Another build under way (the sources changed while it ran): its own process cleans up.
    if (name.endsWith('.tmp') && existsSync(path.join(distRoot, `${name.slice(0, -'.tmp'.length)}.lock`))) continue
    rmSync(path.join(distRoot, name), { recursive: true, force: true })
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (isMain) console.log(`The notes app's build: ${path.relative(process.cwd(), await ensureBuild())}`)
