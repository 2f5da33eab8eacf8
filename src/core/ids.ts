/**
 * A random UUID (v4): mutation ids, and a good choice for the ids of rows created offline.
 * `crypto.randomUUID` exists only in secure contexts (https, localhost) in browsers; elsewhere the
 * UUID is built from `crypto.getRandomValues`, which exists everywhere.
 *
 * @example dispatch(replica.actions.save({ collection: 'note', row: { id: newId(), body: 'hi' } }))
 */
export function newId(): string {
  const c = globalThis.crypto
  if (typeof c?.randomUUID === 'function') return c.randomUUID()
  const b = c.getRandomValues(new Uint8Array(16))
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
