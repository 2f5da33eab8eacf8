import type { Key } from '../protocol'

/**
 * A collection's rows in Redux, split into shards by a hash of the key.
 *
 * Why not one flat `entities` object, as `createEntityAdapter` keeps? Immutable updates copy what
 * they touch: a flat object of 100,000 rows costs a 100,000-key copy per action (58 ms here), so a
 * sync slows page by page and a one-row edit stalls the UI. Here an action copies the shards array
 * and only the shards it touches. The selectors rebuild the flat views (`selectEntities`,
 * `selectAll`, `selectIds`) lazily, once per state, for whoever asks.
 */
export interface EntityState<T> {
  /** `SHARD_COUNT` objects from key (as a string) to row. */
  readonly shards: ReadonlyArray<Readonly<Record<string, T>>>
  /** Number of rows held. */
  readonly total: number
}

/** Enough shards that a touched shard stays small at 10^5..10^6 rows; few enough to copy the array cheaply. */
export const SHARD_COUNT = 2048

const EMPTY_SHARD: Readonly<Record<string, never>> = Object.freeze({})

export function emptyEntityState<T>(): EntityState<T> {
  return { shards: new Array(SHARD_COUNT).fill(EMPTY_SHARD), total: 0 }
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
  const shard = state.shards[shardOf(key)] as Record<string, T>
  return Object.prototype.hasOwnProperty.call(shard, key) ? shard[key] : undefined
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
  const copied = new Set<number>()
  let total = state.total
  const writable = (index: number): Record<string, T> => {
    if (!copied.has(index)) {
      copied.add(index)
      shards[index] = { ...shards[index] }
    }
    return shards[index] as Record<string, T>
  }
  for (const row of upserted) {
    const key = String(keyOf(row))
    const shard = writable(shardOf(key))
    if (!Object.prototype.hasOwnProperty.call(shard, key)) total++
    shard[key] = row
  }
  for (const id of removed) {
    const key = String(id)
    const index = shardOf(key)
    if (!Object.prototype.hasOwnProperty.call(shards[index], key)) continue
    delete writable(index)[key]
    total--
  }
  return { shards, total }
}

/** Builds a state holding exactly these rows (hydration). */
export function entityStateFrom<T>(rows: readonly T[], keyOf: (row: T) => Key): EntityState<T> {
  return applyEntityChanges(emptyEntityState<T>(), rows, [], keyOf)
}
