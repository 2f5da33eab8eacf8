/**
 * The digest of a set of rows (docs/protocol.md, "Digest"): how many there are, and an
 * order-independent hash of their keys and versions, computed alike by the client (over the rows
 * a subscription holds) and the server (over the rows its stream has delivered up to a cursor).
 *
 * hash = (Σ fnv1a32(utf8(`${String(key)}:${String(version)}`))) mod 2^32
 *
 * A sum, not a XOR: two equal entries do not cancel out. One pure module, shared by the client and
 * the reference server, so the two cannot drift apart.
 */

/** Body of a successful `GET <base>/digest`. */
export interface DigestResponseBody {
  /** How many live rows match the filter and the caller's scope at or before the cursor's position. */
  count: number
  /** Unsigned 32-bit sum of FNV-1a-32 of `${id}:${_version}` over those rows. */
  hash: number
  /**
   * How far the digest reaches: the rows of the scope at versions up to it are exactly those
   * counted (nothing of the scope lies between the cursor and it, and every version up to it is
   * final on the server). At least the cursor's version; the server's horizon for a quiet scope.
   */
  version?: number
}

/** A digest: count plus order-independent hash. */
export interface Digest {
  count: number
  hash: number
}

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

/**
 * FNV-1a, 32 bits, over the UTF-8 bytes of `text` (lone surrogates count as U+FFFD, as
 * `TextEncoder` encodes them). Returns an unsigned 32-bit integer.
 *
 * @example fnv1a32('') === 0x811c9dc5; fnv1a32('a') === 0xe40c292c
 */
export function fnv1a32(text: string): number {
  let h = FNV_OFFSET
  const byte = (b: number) => {
    h = Math.imul(h ^ b, FNV_PRIME)
  }
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i)
    if (c < 0x80) {
      h = Math.imul(h ^ c, FNV_PRIME)
      continue
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1)
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00)
        i++
        byte(0xf0 | (c >> 18))
        byte(0x80 | ((c >> 12) & 0x3f))
        byte(0x80 | ((c >> 6) & 0x3f))
        byte(0x80 | (c & 0x3f))
        continue
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd
    if (c < 0x800) {
      byte(0xc0 | (c >> 6))
      byte(0x80 | (c & 0x3f))
    } else {
      byte(0xe0 | (c >> 12))
      byte(0x80 | ((c >> 6) & 0x3f))
      byte(0x80 | (c & 0x3f))
    }
  }
  return h >>> 0
}

/** Adds rows to a digest one at a time; keys and versions are formatted with `String()`. */
export function digestAccumulator() {
  let count = 0
  let hash = 0
  return {
    add(key: string | number | bigint, version: string | number | bigint): void {
      count++
      hash = (hash + fnv1a32(`${String(key)}:${String(version)}`)) >>> 0
    },
    result: (): Digest => ({ count, hash }),
  }
}

/** Whether two digests describe the same rows (as far as a 32-bit hash can tell). */
export const sameDigest = (a: Digest, b: Digest): boolean => a.count === b.count && a.hash === b.hash
