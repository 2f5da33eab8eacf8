import { createHash } from 'node:crypto'
import type { ReplicaAnswer, ReplicaRequest } from './context.js'
import { json } from './context.js'

/**
 * HTTP caching of pull pages (docs/server.md, "HTTP caching"). A page with `hasMore: true` is
 * fully in the past: every row on it is below the version horizon and its cursor is its last row,
 * so asking again can only give a page whose rows were since rewritten at newer versions, which
 * the stream after its cursor brings anyway. Serving the older answer is therefore still correct,
 * just less fresh, and a browser may keep it. The last page (`hasMore: false`) says "caught up"
 * and so is never cached.
 *
 * Pages are `private`, never `public`: what a pull returns depends on the caller's scope (from
 * `authorize`, which reads headers or cookies the URL does not show), so a shared cache could hand
 * one caller's rows to another.
 */
export function cachedPage(request: ReplicaRequest, body: string, maxAgeSeconds: number): ReplicaAnswer {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
  const headers = {
    'cache-control': `private, max-age=${maxAgeSeconds}`,
    vary: 'authorization, cookie',
    etag,
  }
  const asked = request.headers.get('if-none-match')
  if (asked !== null && asked.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return { ...json(304, '', headers), body: '' }
  return json(200, body, headers)
}
