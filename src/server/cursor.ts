import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { badCursor } from './errors.js'
import type { VersionCursor } from './types.js'

/**
 * Opaque cursors: `base64url(JSON [version, id]) "." base64url(HMAC-SHA256(secret, collection, payload))`.
 * Signing means a client cannot hand us a position we never gave out (or one from another
 * collection); the server needs no cursor storage. The signature is cut to 128 bits.
 */
const MAX_CURSOR_LENGTH = 512

export interface CursorCodec {
  encode(collection: string, at: VersionCursor): string
  decode(collection: string, cursor: string): VersionCursor
}

export function cursorCodec(secret: string | Uint8Array | undefined): CursorCodec {
  const key = secret === undefined ? randomBytes(32) : typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret)
  if (key.length < 16) throw new Error('redux-replica: cursorSecret must be at least 16 bytes')
  const sign = (collection: string, payload: string) =>
    createHmac('sha256', key).update(collection).update('\0').update(payload).digest().subarray(0, 16)

  return {
    encode(collection, at) {
      const payload = Buffer.from(JSON.stringify([at.v, at.id])).toString('base64url')
      return `${payload}.${sign(collection, payload).toString('base64url')}`
    },
    decode(collection, cursor) {
      if (cursor.length > MAX_CURSOR_LENGTH) throw badCursor()
      const dot = cursor.indexOf('.')
      if (dot <= 0) throw badCursor()
      const payload = cursor.slice(0, dot)
      const given = Buffer.from(cursor.slice(dot + 1), 'base64url')
      const expected = sign(collection, payload)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw badCursor()
      // Signed by us, so well-formed; checked anyway so that a leaked secret cannot crash a query.
      let value: unknown
      try {
        value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
      } catch {
        throw badCursor()
      }
      if (!Array.isArray(value) || value.length !== 2) throw badCursor()
      const [v, id] = value as unknown[]
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badCursor()
      if (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) throw badCursor()
      return { v, id }
    },
  }
}
