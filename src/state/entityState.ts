import type { Key } from '../core/protocol'

/**
 * A collection's rows in Redux: a two-level tree of shards chosen by a hash of the key.
 *
 * Why not one flat `entities` object, as `createEntityAdapter` keeps? Immutable updates copy what
 * they touch: a flat object of 100,000 rows costs a 100,000-key copy per action (58 ms here), so a
 * sync slows page by page and a one-row edit stalls the UI.
 *
 * Why two levels? A changed row copies the path to it: the `groups` array, one group, one shard.
 * With one level the shards grow with the collection (2,048 shards held ~490 rows each at 10^6,
 * and a page of 250 rows copied ~250,000 pointers: the sync's last pages cost 16x its first).
 * With {@link GROUP_COUNT} groups of {@link SHARDS_PER_GROUP} shards, a row costs a copy of about
 * 32 + 2 x (rows / 65,536) pointers: the same at 10^4 and 10^6 rows (docs/benchmarks.md, hot spot 9).
 *
 * Why is a shard two arrays and not a `{ [key]: row }` object? Row keys are mostly integers, and
 * V8 keeps an object with sparse integer keys in dictionary mode, where copying costs about 500 ns
 * a key (docs/benchmarks.md, "Hot spots"). Copying an array is a memcpy of pointers, and a lookup
 * in a shard of a few keys is one `indexOf` over short strings.
 *
 * Plain arrays and objects only, never mutated once in a state: serializable, and RTK's
 * immutability check holds over it.
 */
export interface EntityState<T> {
  /** {@link GROUP_COUNT} groups, each {@link SHARDS_PER_GROUP} shards. */
  readonly groups: ReadonlyArray<ShardGroup<T>>
  /** Number of rows held. */
  readonly total: number
}

export type ShardGroup<T> = ReadonlyArray<Shard<T>>

/** Keys (as strings) and rows at the same positions. */
export interface Shard<T> {
  readonly keys: readonly string[]
  readonly rows: readonly T[]
}

/**
 * Groups in a state: copying this array is the fixed cost of every action (about a microsecond),
 * and the selectors rebuild their flat views group by group.
 */
export const GROUP_COUNT = 2048
/** Shards per group (a power of two): a changed row copies its group, this many pointers. */
export const SHARDS_PER_GROUP = 32
const SHARD_BITS = 5
const SHARD_MASK = SHARDS_PER_GROUP - 1

/**
 * Scratch for {@link applyEntityChanges}, zero between actions: per group, whether the running
 * action copied it, and a bit per shard it made.
 */
const copiedGroups = new Uint8Array(GROUP_COUNT)
const madeShards = new Int32Array(GROUP_COUNT)

const EMPTY_SHARD: Shard<never> = Object.freeze({ keys: Object.freeze([]), rows: Object.freeze([]) })
const EMPTY_GROUP_TEMPLATE: readonly Shard<never>[] = new Array<Shard<never>>(SHARDS_PER_GROUP).fill(EMPTY_SHARD)
const EMPTY_GROUP: ShardGroup<never> = Object.freeze(EMPTY_GROUP_TEMPLATE.slice())

export function emptyEntityState<T>(): EntityState<T> {
  return { groups: new Array<ShardGroup<T>>(GROUP_COUNT).fill(EMPTY_GROUP), total: 0 }
}

/**
 * The key's slot, `group * SHARDS_PER_GROUP + shard`: FNV-1a over the key's string form, so `1`
 * and `'1'` land together. (Keys 1..10^6 fill every slot; the largest holds 36.)
 */
export function slotOf(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % (GROUP_COUNT * SHARDS_PER_GROUP)
}

/** The shard a key belongs to (whether or not the key is held). */
export function shardFor<T>(state: EntityState<T>, key: string): Shard<T> {
  const slot = slotOf(key)
  return (state.groups[slot >>> SHARD_BITS] as ShardGroup<T>)[slot & SHARD_MASK] as Shard<T>
}

export function entityById<T>(state: EntityState<T>, id: Key): T | undefined {
  const key = String(id)
  const shard = shardFor(state, key)
  const at = indexIn(shard, key)
  return at < 0 ? undefined : shard.rows[at]
}

/**
 * The key's position in the shard, or -1. The shared empty shard is frozen, and V8's `indexOf`
 * over a frozen array takes a slow path (most lookups meet it while a collection is small).
 */
function indexIn(shard: Shard<unknown>, key: string): number {
  return shard === EMPTY_SHARD ? -1 : shard.keys.indexOf(key)
}

/**
 * Returns a new state with rows set (whole rows, as the server sent them) and keys removed. Each
 * touched group is copied once per action, each touched shard once, its arrays at their exact
 * size; everything else is shared with the previous state.
 */
export function applyEntityChanges<T>(
  state: EntityState<T>,
  upserted: readonly T[],
  removed: readonly Key[],
  keyOf: (row: T) => Key,
): EntityState<T> {
  if (upserted.length === 0 && removed.length === 0) return state
  const groups = state.groups.slice() as Shard<T>[][]
  // Which groups and shards this action made (and may therefore mutate): scratch arrays, one bit
  // per shard, cleared on the way out. Not a Set of objects: hashing fresh objects
  // by identity costs more than the copies themselves. A shard this action made owns its `rows`;
  // its `keys` may still be the previous state's, so keys are replaced, never written in place.
  const touched: number[] = []
  let total = state.total
  /** The group of `slot`, copied on first touch. */
  const groupOf = (slot: number): Shard<T>[] => {
    const g = slot >>> SHARD_BITS
    if (copiedGroups[g] === 0) {
      const group = groups[g] as ShardGroup<T>
      // Slicing a frozen array takes V8's slow path (5 us for 32 items): copy the unfrozen twin.
      groups[g] = group === EMPTY_GROUP ? EMPTY_GROUP_TEMPLATE.slice() : group.slice()
      touched.push(g)
      copiedGroups[g] = 1
    }
    return groups[g] as Shard<T>[]
  }
  const put = (slot: number, shard: Shard<T>) => {
    groupOf(slot)[slot & SHARD_MASK] = shard
    const g = slot >>> SHARD_BITS
    madeShards[g] = (madeShards[g] as number) | (1 << (slot & SHARD_MASK))
  }
  const current = (slot: number) => (groups[slot >>> SHARD_BITS] as ShardGroup<T>)[slot & SHARD_MASK] as Shard<T>
  const owned = (slot: number) => ((madeShards[slot >>> SHARD_BITS] as number) & (1 << (slot & SHARD_MASK))) !== 0
  try {
    for (const row of upserted) {
      const key = String(keyOf(row))
      const slot = slotOf(key)
      const shard = current(slot)
      const at = indexIn(shard, key)
      if (at < 0) {
        put(slot, { keys: appended(shard.keys, key), rows: appended(shard.rows, row) })
        total++
      } else if (owned(slot)) {
        ;(shard.rows as T[])[at] = row
      } else {
        const rows = shard.rows.slice()
        rows[at] = row
        put(slot, { keys: shard.keys, rows })
      }
    }
    for (const id of removed) {
      const key = String(id)
      const slot = slotOf(key)
      const shard = current(slot)
      const at = indexIn(shard, key)
      if (at < 0) continue
      put(slot, { keys: without(shard.keys, at), rows: without(shard.rows, at) })
      total--
    }
  } finally {
    for (const g of touched) {
      copiedGroups[g] = 0
      madeShards[g] = 0
    }
  }
  return { groups, total }
}

/** A copy of `items` with `item` at the end, at its exact size (a pushed-to array keeps room for 16 more). */
function appended<X>(items: readonly X[], item: X): X[] {
  const out = new Array<X>(items.length + 1)
  for (let i = 0; i < items.length; i++) out[i] = items[i] as X
  out[items.length] = item
  return out
}

function without<X>(items: readonly X[], at: number): X[] {
  const out = items.slice()
  out.splice(at, 1)
  return out
}

/**
 * Builds a state holding exactly these rows (hydration; a later row wins over an earlier one with
 * the same key). A counting sort rather than one big {@link applyEntityChanges}: each shard's
 * arrays are made once at their final size, instead of growing row by row.
 */
export function entityStateFrom<T>(rows: readonly T[], keyOf: (row: T) => Key): EntityState<T> {
  const keys = rows.map((row) => String(keyOf(row)))
  const slots = new Int32Array(rows.length)
  const counts = new Int32Array(GROUP_COUNT * SHARDS_PER_GROUP)
  for (let i = 0; i < rows.length; i++) {
    const slot = slotOf(keys[i] as string)
    slots[i] = slot
    counts[slot] = (counts[slot] as number) + 1
  }
  const made = new Array<{ keys: string[]; rows: T[]; length: number } | undefined>(counts.length)
  for (let i = 0; i < rows.length; i++) {
    const slot = slots[i] as number
    const key = keys[i] as string
    let shard = made[slot]
    if (!shard) made[slot] = shard = { keys: new Array<string>(counts[slot] as number), rows: new Array<T>(counts[slot] as number), length: 0 }
    const at = shard.keys.indexOf(key)
    if (at >= 0 && at < shard.length) {
      shard.rows[at] = rows[i] as T
    } else {
      shard.keys[shard.length] = key
      shard.rows[shard.length++] = rows[i] as T
    }
  }
  const state = emptyEntityState<T>()
  const groups = state.groups as ShardGroup<T>[]
  let total = 0
  for (let slot = 0; slot < made.length; slot++) {
    const shard = made[slot]
    if (!shard) continue
    const g = slot >>> SHARD_BITS
    if (groups[g] === EMPTY_GROUP) groups[g] = EMPTY_GROUP_TEMPLATE.slice()
    // Duplicate keys leave room at the end: trim it.
    const exact = shard.length === shard.keys.length
    ;(groups[g] as Shard<T>[])[slot & SHARD_MASK] = exact ? { keys: shard.keys, rows: shard.rows } : { keys: shard.keys.slice(0, shard.length), rows: shard.rows.slice(0, shard.length) }
    total += shard.length
  }
  return { groups, total }
}
