import type { Key } from '../core/protocol'

/**
 * A collection's rows in Redux, split into shards by a hash of the key.
 *
 * Why not one flat `entities` object, as `createEntityAdapter` keeps? Immutable updates copy what
 * they touch: a flat object of 100,000 rows costs a 100,000-key copy per action (58 ms here), so a
 * sync slows page by page and a one-row edit stalls the UI. Here an action copies the shards array
 * and only the shards it touches. The selectors rebuild the flat views (`selectEntities`,
 * `selectAll`, `selectIds`) lazily, once per state, for whoever asks.
 *
 * Why is a shard two arrays and not a `{ [key]: row }` object? Row keys are mostly integers, and
 * V8 keeps an object with sparse integer keys in dictionary mode, where copying costs about 500 ns
 * a key (docs/benchmarks.md, "Hot spots"); a 100k sync copied 2.4M keys that way (1.7 s).
 * Copying an array is a memcpy of pointers, and a lookup in a shard of a few dozen keys is one
 * `indexOf` over short strings.
 */
export interface EntityState<T> {
  /** `SHARD_COUNT` shards; a shard holds keys (as strings) and rows at the same positions. */
  readonly shards: ReadonlyArray<Shard<T>>
  /** Number of rows held. */
  readonly total: number
}

export interface Shard<T> {
  readonly keys: readonly string[]
  readonly rows: readonly T[]
}

/**
 * Enough shards that a shard stays short (50 keys at 10^5 rows, 500 at 10^6); few enough that
 * copying the shards array per action stays in the microseconds.
 */
export const SHARD_COUNT = 2048

const EMPTY_SHARD: Shard<never> = Object.freeze({ keys: Object.freeze([]), rows: Object.freeze([]) })

export function emptyEntityState<T>(): EntityState<T> {
  return { shards: new Array<Shard<T>>(SHARD_COUNT).fill(EMPTY_SHARD), total: 0 }
}

/** FNV-1a over the key's string form, so `1` and `'1'` land in the same shard. */
export function shardOf(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % SHARD_COUNT
}

export function entityById<T>(state: EntityState<T>, id: Key): T | undefined {
  const key = String(id)
  const shard = state.shards[shardOf(key)] as Shard<T>
  const at = shard.keys.indexOf(key)
  return at < 0 ? undefined : shard.rows[at]
}

/** A shard being written by one action: copied from the previous state once, then mutated. */
interface WritableShard<T> {
  keys: string[]
  rows: T[]
}

/**
 * Returns a new state with rows set (whole rows, as the server sent them) and keys removed. Each
 * touched shard is copied once; untouched shards are shared with the previous state.
 */
export function applyEntityChanges<T>(
  state: EntityState<T>,
  upserted: readonly T[],
  removed: readonly Key[],
  keyOf: (row: T) => Key,
): EntityState<T> {
  if (upserted.length === 0 && removed.length === 0) return state
  const shards = state.shards.slice()
  // Shards already copied by this action; a page of 250 rows touches about 250 of them.
  const copied = new Set<Shard<T>>()
  let total = state.total
  const writable = (index: number): WritableShard<T> => {
    let shard = shards[index] as Shard<T>
    if (!copied.has(shard)) {
      shard = { keys: shard.keys.slice(), rows: shard.rows.slice() }
      copied.add(shard)
      shards[index] = shard
    }
    return shard as WritableShard<T>
  }
  for (const row of upserted) {
    const key = String(keyOf(row))
    const shard = writable(shardOf(key))
    const at = shard.keys.indexOf(key)
    if (at >= 0) {
      shard.rows[at] = row
    } else {
      shard.keys.push(key)
      shard.rows.push(row)
      total++
    }
  }
  for (const id of removed) {
    const key = String(id)
    const index = shardOf(key)
    if (!(shards[index] as Shard<T>).keys.includes(key)) continue
    const shard = writable(index)
    const at = shard.keys.indexOf(key)
    shard.keys.splice(at, 1)
    shard.rows.splice(at, 1)
    total--
  }
  return { shards, total }
}

/** Builds a state holding exactly these rows (hydration). */
export function entityStateFrom<T>(rows: readonly T[], keyOf: (row: T) => Key): EntityState<T> {
  return applyEntityChanges(emptyEntityState<T>(), rows, [], keyOf)
}
