const hex = (bytes: Uint8Array): string => {
  const h = Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/**
 * A random UUID (v4, 122 random bits): mutation ids and subscriber ids, which must be unguessable
 * and need no order. `crypto.randomUUID` exists only in secure contexts (https, localhost) in
 * browsers; elsewhere the UUID is built from `crypto.getRandomValues`, which exists everywhere.
 */
export function randomId(): string {
  const c = globalThis.crypto
  if (typeof c?.randomUUID === 'function') return c.randomUUID()
  const b = c.getRandomValues(new Uint8Array(16))
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  return hex(b)
}

// The last id's time and 12-bit counter: ids made in one millisecond (or after the clock stepped
// back) count up from a random start, so ids of this process are strictly increasing.
let lastMs = -1
let counter = 0

/**
 * A time-ordered UUID (version 7, RFC 9562): the first 48 bits are the time in milliseconds, then
 * a 12-bit counter (random start each millisecond), then 62 random bits. Ids made later sort
 * later, as strings and as bytes, so rows created offline go to the end of the server's primary
 * key index (a B-tree appends instead of splitting pages at random) and sort by creation.
 * Ids made by one process are strictly increasing, even within a millisecond or if the clock
 * steps back. Built on `crypto.getRandomValues` (Node 20 and every browser, secure context or not).
 *
 * @example dispatch(replica.actions.save({ collection: 'note', row: { id: newId(), body: 'hi' } }))
 */
export function newId(): string {
  const now = Date.now()
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16))
  if (now > lastMs) {
    lastMs = now
    counter = ((b[6]! & 0x07) << 8) | b[7]! // at most 0x7ff: room to count up in this millisecond
  } else if (++counter > 0xfff) {
    // 2048+ ids in one millisecond: borrow the next one (the time stays within a few ms).
    lastMs++
    counter = 0
  }
  let ms = lastMs
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256
    ms = Math.floor(ms / 256)
  }
  b[6] = 0x70 | (counter >> 8)
  b[7] = counter & 0xff
  b[8] = (b[8]! & 0x3f) | 0x80
  return hex(b)
}
