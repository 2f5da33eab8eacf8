import type { Key } from '../core/protocol'
import { runToEnd } from '../core/yieldToEventLoop'

/**
 * A collection's rows in Redux: 2,048 groups chosen by a hash of the key, each one shard while it
 * is small and 32 shards (by more bits of the same hash) once it grows.
 *
 * Why not one flat `entities` object, as `createEntityAdapter` keeps? Immutable updates copy what
 * they touch: a flat object of 100,000 rows costs a 100,000-key copy per action (58 ms here), so a
 * sync slows page by page and a one-row edit stalls the UI.
 *
 * Why groups that split? A changed row copies the path to it: the `groups` array, its group, its
 * shard. With one level of fixed shards, the shards grow with the collection: 2,048 shards held
 * ~490 rows each at 10^6, a page of 250 rows copied ~250,000 pointers, and a sync's last pages
 * cost 16x its first (docs/benchmarks.md, hot spot 9). A group splits once it holds more than
 * {@link SPLIT_AT} rows, so a row's copy stays under about 2 x 64 pointers while groups are
 * whole, and 32 + 2 x (rows / 65,536) after: the same at 10^4 and 10^6 rows. Small collections
 * keep one shard per group, as compact and as quick as before.
 *
 * Why is a shard two arrays and not a `{ [key]: row }` object? Row keys are mostly integers, and
 * V8 keeps an object with sparse integer keys in dictionary mode, where copying costs about 500 ns
 * a key (docs/benchmarks.md, "Hot spots"). Copying an array is a memcpy of pointers, and a lookup
 * in a shard of a few dozen keys is one `indexOf` over short strings.
 *
 * Plain arrays and objects only, never mutated once in a state: serializable, and RTK's
 * immutability check holds over it.
 */
export interface EntityState<T> {
  /** {@link GROUP_COUNT} groups. */
  readonly groups: ReadonlyArray<ShardGroup<T>>
  /** Number of rows held. */
  readonly total: number
}

/** One shard, or {@link SHARDS_PER_GROUP} shards once the group has grown past {@link SPLIT_AT} rows. */
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
/** Shards of a group that has split (a power of two): a changed row copies this many pointers. */
export const SHARDS_PER_GROUP = 32
/** A group of one shard splits when an insert takes it past this many rows. */
export const SPLIT_AT = 64
const SHARD_BITS = 5
const SHARD_MASK = SHARDS_PER_GROUP - 1

/**
 * Scratch for {@link applyEntityChanges}, zero between actions: per group, whether the running
 * action copied it, and a bit per shard it made (bit 0 for a group of one shard).
 */
const copiedGroups = new Uint8Array(GROUP_COUNT)
const madeShards = new Int32Array(GROUP_COUNT)

const EMPTY_SHARD: Shard<never> = Object.freeze({ keys: Object.freeze([]), rows: Object.freeze([]) })
const EMPTY_GROUP: ShardGroup<never> = Object.freeze([EMPTY_SHARD])

export function emptyEntityState<T>(): EntityState<T> {
  return { groups: new Array<ShardGroup<T>>(GROUP_COUNT).fill(EMPTY_GROUP), total: 0 }
}

/**
 * The key's slot, `group * SHARDS_PER_GROUP + shard in a split group`: FNV-1a over the key's
 * string form, so `1` and `'1'` land together. (Keys 1..10^6 fill every slot; the largest holds 36.)
 */
export function slotOf(key: string): number {
  return hashOf(key) % (GROUP_COUNT * SHARDS_PER_GROUP)
}

/** FNV-1a, 32 bits, unsigned. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** Where a slot's shard sits in its group: 0 while the group is whole. */
const indexInGroup = (group: ShardGroup<unknown>, slot: number) => (group.length === 1 ? 0 : slot & SHARD_MASK)

/** The shard a key belongs to (whether or not the key is held). */
function shardFor<T>(state: EntityState<T>, key: string): Shard<T> {
  const slot = slotOf(key)
  const group = state.groups[slot >>> SHARD_BITS] as ShardGroup<T>
  return group[indexInGroup(group, slot)] as Shard<T>
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
  // Which groups and shards this action made (and may therefore mutate): scratch arrays, cleared
  // on the way out. Not a Set of objects: hashing fresh objects by identity costs more than the
  // copies themselves. A shard this action made owns its `rows`; its `keys` may still be the
  // previous state's, so keys are replaced, never written in place.
  const touched: number[] = []
  let total = state.total
  const mark = (g: number, made: number) => {
    if (copiedGroups[g] === 0) touched.push(g)
    copiedGroups[g] = 1
    madeShards[g] = (madeShards[g] as number) | made
  }
  const put = (g: number, index: number, shard: Shard<T>) => {
    if (copiedGroups[g] === 0) {
      const group = groups[g] as ShardGroup<T>
      // Slicing a frozen array takes V8's slow path.
      groups[g] = group === EMPTY_GROUP ? [EMPTY_SHARD] : group.slice()
    }
    ;(groups[g] as Shard<T>[])[index] = shard
    mark(g, 1 << index)
  }
  /** Where `key` is, or would go, in the state being made. */
  const find = (key: string) => {
    const slot = slotOf(key)
    const g = slot >>> SHARD_BITS
    const group = groups[g] as ShardGroup<T>
    const index = indexInGroup(group, slot)
    const shard = group[index] as Shard<T>
    return { g, group, index, shard, at: indexIn(shard, key) }
  }
  try {
    for (const row of upserted) {
      const key = String(keyOf(row))
      const { g, group, index, shard, at } = find(key)
      if (at < 0) {
        const grown = { keys: appended(shard.keys, key), rows: appended(shard.rows, row) }
        if (group.length === 1 && grown.keys.length > SPLIT_AT) {
          groups[g] = split(grown, g)
          mark(g, -1)
        } else {
          put(g, index, grown)
        }
        total++
      } else if (((madeShards[g] as number) & (1 << index)) !== 0) {
        ;(shard.rows as T[])[at] = row
      } else {
        const rows = shard.rows.slice()
        rows[at] = row
        put(g, index, { keys: shard.keys, rows })
      }
    }
    for (const id of removed) {
      const { g, index, shard, at } = find(String(id))
      if (at < 0) continue
      put(g, index, { keys: shard.keys.toSpliced(at, 1), rows: shard.rows.toSpliced(at, 1) })
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

/**
 * A copy of `items` with `item` at the end, at its exact size and packed: a pushed-to array keeps
 * room for 16 more (most shards hold a few rows), and one made by `new Array(n)` stays "holey",
 * where V8's `indexOf` is ten times slower.
 */
function appended<X>(items: readonly X[], item: X): X[] {
  return items.length === 0 ? [item] : items.toSpliced(items.length, 0, item)
}

/** The rows of group `g`'s one shard, dealt into {@link SHARDS_PER_GROUP} shards by slot. */
function split<T>(shard: Shard<T>, g: number): Shard<T>[] {
  const keys: string[][] = Array.from({ length: SHARDS_PER_GROUP }, () => [])
  const rows: T[][] = Array.from({ length: SHARDS_PER_GROUP }, () => [])
  shard.keys.forEach((key, i) => {
    const index = slotOf(key) - g * SHARDS_PER_GROUP
    ;(keys[index] as string[]).push(key)
    ;(rows[index] as T[]).push(shard.rows[i] as T)
  })
  // slice(): exact-size copies of the pushed-to arrays.
  return keys.map((k, index) => (k.length === 0 ? EMPTY_SHARD : { keys: k.slice(), rows: (rows[index] as T[]).slice() }))
}

/**
 * Builds a state holding exactly these rows (hydration; a later row wins over an earlier one with
 * the same key). A counting sort rather than one big {@link applyEntityChanges}: the rows are put
 * in slot order once, and each shard's arrays are slices of that order, made once at their final
 * size, instead of growing row by row.
 */
export function entityStateFrom<T>(rows: readonly T[], keyOf: (row: T) => Key): EntityState<T> {
  return runToEnd(entityStateSteps(rows, keyOf))
}

/** Rows (or groups, in the last pass) between two pauses of {@link entityStateSteps}. */
const ROWS_PER_STEP = 4096
const GROUPS_PER_STEP = 128

/**
 * {@link entityStateFrom} as steps of a few thousand rows each (a millisecond or so): the caller
 * may yield to the event loop between two `next()` calls (redux/hydrate.ts), so that
 * building the state of 100,000 rows is never one long task. The rows must not change meanwhile.
 */
export function* entityStateSteps<T>(rows: readonly T[], keyOf: (row: T) => Key): Generator<void, EntityState<T>> {
  const keys: string[] = []
  const hashes = new Uint32Array(rows.length)
  const slots = new Int32Array(rows.length)
  // starts[slot] .. starts[slot + 1]: where the slot's rows go in slot order.
  const starts = new Int32Array(GROUP_COUNT * SHARDS_PER_GROUP + 1)
  for (let i = 0; i < rows.length; i++) {
    if (i % ROWS_PER_STEP === ROWS_PER_STEP - 1) yield
    const key = String(keyOf(rows[i] as T))
    const hash = hashOf(key)
    const slot = hash % (GROUP_COUNT * SHARDS_PER_GROUP)
    keys.push(key)
    hashes[i] = hash
    slots[i] = slot
    starts[slot + 1] = (starts[slot + 1] as number) + 1
  }
  for (let slot = 1; slot < starts.length; slot++) starts[slot] = (starts[slot] as number) + (starts[slot - 1] as number)
  yield
  const order = new Int32Array(rows.length)
  const next = starts.slice(0, -1)
  for (let i = 0; i < rows.length; i++) {
    const slot = slots[i] as number
    order[next[slot] as number] = i
    next[slot] = (next[slot] as number) + 1
  }
  yield
  const sortedKeys: string[] = []
  const sortedRows: T[] = []
  const sortedHashes = new Uint32Array(rows.length)
  for (let at = 0; at < order.length; at++) {
    if (at % ROWS_PER_STEP === ROWS_PER_STEP - 1) yield
    const i = order[at] as number
    sortedKeys.push(keys[i] as string)
    sortedRows.push(rows[i] as T)
    sortedHashes[at] = hashes[i] as number
  }
  const shardOf = (from: number, to: number) => {
    if (from === to) return EMPTY_SHARD
    const shard = { keys: sortedKeys.slice(from, to), rows: sortedRows.slice(from, to) }
    return hasDuplicates(sortedHashes, sortedKeys, from, to) ? lastOfEachKey(shard) : shard
  }
  const groups = emptyEntityState<T>().groups as ShardGroup<T>[]
  let total = 0
  for (let g = 0; g < GROUP_COUNT; g++) {
    if (g % GROUPS_PER_STEP === GROUPS_PER_STEP - 1) yield
    const first = g * SHARDS_PER_GROUP
    const [from, to] = [starts[first] as number, starts[first + SHARDS_PER_GROUP] as number]
    if (from === to) continue
    // By the count of rows given (duplicates included): looking for duplicates in a whole group
    // of 10^6 / 2,048 rows would cost a quadratic scan.
    const group = to - from <= SPLIT_AT ? [shardOf(from, to)] : Array.from({ length: SHARDS_PER_GROUP }, (_, s) => shardOf(starts[first + s] as number, starts[first + s + 1] as number))
    groups[g] = group
    for (const shard of group) total += shard.keys.length
  }
  return { groups, total }
}

/** Whether a key repeats in `keys[from..to)`: full hashes compared first, strings only when they match. */
function hasDuplicates(hashes: Uint32Array, keys: readonly string[], from: number, to: number): boolean {
  for (let i = from + 1; i < to; i++) {
    for (let j = from; j < i; j++) if (hashes[i] === hashes[j] && keys[i] === keys[j]) return true
  }
  return false
}

/** The shard with the last row of each key, at the first key's place. */
function lastOfEachKey<T>(shard: Shard<T>): Shard<T> {
  const keys: string[] = []
  const rows: T[] = []
  shard.keys.forEach((key, i) => {
    const at = keys.indexOf(key)
    if (at >= 0) rows[at] = shard.rows[i] as T
    else (keys.push(key), rows.push(shard.rows[i] as T))
  })
  // slice(): exact-size copies of the pushed-to arrays.
  return { keys: keys.slice(), rows: rows.slice() }
}
