import { readFile } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import path from 'node:path'

/** Where the reference server serves the browser benchmark's page (bench/e2e/serverMain.ts). */
export const PAGE_BASE = '/bench/page/'

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' }

/**
 * Answers with one file of the built page directory (`index.html` for the directory itself);
 * 404 for anything outside it or missing.
 *
 * @example if (url.pathname.startsWith(PAGE_BASE)) return servePage(dir, url.pathname.slice(PAGE_BASE.length), res)
 */
export function servePage(dir: string, relative: string, res: ServerResponse): void {
  const file = path.resolve(dir, decodeURIComponent(relative) || 'index.html')
  if (!file.startsWith(path.resolve(dir) + path.sep)) {
    res.writeHead(404).end()
    return
  }
  readFile(file).then(
    (body) => res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body),
    () => res.writeHead(404).end(),
  )
}
