import { readdirSync, readFileSync, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { compress, MIN_COMPRESSED_BYTES, pickEncoding } from './compression'
import type { Encoding } from './compression'

interface AppFile {
  body: Buffer
  type: string
  cacheControl: string
  compressed: Partial<Record<Encoding, Buffer>>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
}
const TEXT = new Set(['.html', '.js', '.css', '.svg', '.json'])

// The page may load only its own script and styles, and talk only to its own server.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

/**
 * The production build, read into memory once (and compressed once): requests are answered from
 * this map alone, so no path a request names can reach another file on disk, the database
 * included. Hashed assets are cached for good; the page and the service worker are revalidated.
 *
 * @example const files = await loadAppFiles('examples/notes/dist/3f2a…'); server.on('request', files.serve)
 */
export async function loadAppFiles(dist: string) {
  const files = new Map<string, AppFile>()
  const visit = async (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name)
      if (statSync(file).isDirectory()) {
        await visit(file)
        continue
      }
      const ext = path.extname(name)
      const url = `/${path.relative(dist, file).split(path.sep).join('/')}`
      const body = readFileSync(file)
      const compressed: AppFile['compressed'] = {}
      if (TEXT.has(ext) && body.length >= MIN_COMPRESSED_BYTES) {
        compressed.br = await compress(body, 'br', 'best')
        compressed.gzip = await compress(body, 'gzip', 'best')
      }
      const cacheControl = url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'
      files.set(url, { body, type: TYPES[ext] ?? 'application/octet-stream', cacheControl, compressed })
    }
  }
  await visit(dist)
  const page = files.get('/index.html')
  if (!page) throw new Error(`${dist} holds no index.html: not a build of the notes app`)

  /** Answers a request for the app: a file of the build, the page for an app path, else 404. */
  function serve(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n')
      return
    }
    const pathname = new URL(req.url ?? '/', 'http://app').pathname
    // An app path (no file extension) is the page; anything else must be a file of the build.
    const file = pathname === '/' || !path.posix.extname(pathname) ? page : files.get(pathname)
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('Not found\n')
      return
    }
    const encoding = pickEncoding(req.headers['accept-encoding'])
    const body = (encoding && file.compressed[encoding]) || file.body
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': body.length,
      'cache-control': file.cacheControl,
      ...(body !== file.body ? { 'content-encoding': encoding } : {}),
      ...(Object.keys(file.compressed).length ? { vary: 'accept-encoding' } : {}),
      ...SECURITY_HEADERS,
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  return { serve, files }
}
