import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'
import { PAGE_BASE } from './servePage'

const PAGE = fileURLToPath(new URL('./page/', import.meta.url))

/**
 * Builds the benchmark page (page/index.html and the library it imports from src/) for
 * production, as an app ships it (minified, `process.env.NODE_ENV` = production), into a fresh
 * temporary directory, and returns that directory. Nothing of it reaches the published package.
 *
 * @example const dir = await buildPage() // then startServer(n, { pageDir: dir })
 */
export async function buildPage(): Promise<string> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'replica-bench-page-'))
  await build({
    configFile: false,
    root: PAGE,
    base: PAGE_BASE,
    mode: 'production',
    // Not 'warn': src/index.ts also exports filePersistence, whose node:fs import Vite reports
    // (and leaves out) for every browser build; the page never calls it.
    logLevel: 'error',
    build: { outDir, emptyOutDir: true, minify: true, sourcemap: false, reportCompressedSize: false },
  })
  return outDir
}
