import { entityById, GROUP_COUNT } from './entityState'
import type { EntityState, Shard, ShardGroup } from './entityState'

const NO_ITEMS: readonly never[] = Object.freeze([])

/**
 * A flat array derived from a collection (all rows, their ids, the rows of one filter), kept up to
 * date group by group: for a new state, only the groups that differ from the last state's (by
 * identity: an action copies exactly the groups it touches) are derived again; the flat array is
 * then one concatenation of the groups' pieces (a memcpy of pointers). When no group's piece
 * changed, the previous array is returned, so a view whose rows did not change need not render.
 *
 * One memo per selector: like `lruMemoize` with one entry, it follows whichever state it was last
 * asked about (another state is compared against that one, which is correct, only slower).
 *
 * @example
 * const selectAll = groupedView<Note, Note>((group) => group.flatMap((shard) => shard.rows))
 * selectAll(state.replica.collections.note) === selectAll(state.replica.collections.note) // true
 */
export function groupedView<T, V>(pieceOf: (group: ShardGroup<T>) => readonly V[]): (entities: EntityState<T>) => V[] {
  let last: EntityState<T> | undefined
  const pieces: (readonly V[])[] = new Array<readonly V[]>(GROUP_COUNT).fill(NO_ITEMS)
  let flat: V[] = []
  return (entities) => {
    if (entities === last) return flat
    let changed = last === undefined
    for (let g = 0; g < GROUP_COUNT; g++) {
      const group = entities.groups[g] as ShardGroup<T>
      if (last !== undefined && group === last.groups[g]) continue
      const piece = pieceOf(group)
      if (!sameItems(piece, pieces[g] as readonly V[])) {
        pieces[g] = piece
        changed = true
      }
    }
    last = entities
    if (changed) flat = ([] as V[]).concat(...pieces)
    return flat
  }
}

/** Every row of a group, in shard order, then insertion order. */
export function rowsOfGroup<T>(group: ShardGroup<T>): readonly T[] {
  // A group of one shard: its rows array, immutable like the rest of the state, serves as it is.
  if (group.length === 1) return (group[0] as Shard<T>).rows
  return ([] as T[]).concat(...group.map((shard) => shard.rows))
}

/**
 * `selectEntities`' object: a read-only view of one state, made in constant time. Reading a key is
 * a shard lookup; enumerating it (`Object.keys`, spread, `JSON.stringify`) lists the keys once per
 * state. A real object of 10^6 keys would cost over half a second to build after every change
 * (V8 keeps integer-keyed objects in dictionary mode, about 500 ns a key).
 *
 * @example
 * const entities = entitiesView(state.replica.collections.note)
 * entities['7'] // the row with key 7, or undefined
 */
export function entitiesView<T>(entities: EntityState<T>): Record<string, T> {
  let keys: string[] | undefined
  const lookup = (property: string | symbol) => (typeof property === 'string' ? entityById(entities, property) : undefined)
  const handler: ProxyHandler<Record<string, T>> = {
    get: (_, property) => lookup(property),
    has: (_, property) => lookup(property) !== undefined,
    ownKeys: () => (keys ??= keysOf(entities)),
    getOwnPropertyDescriptor: (_, property) => {
      const value = lookup(property)
      return value === undefined ? undefined : { value, writable: false, enumerable: true, configurable: true }
    },
    // Read-only, as a state's rows are: writes fail (a TypeError in strict code).
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    setPrototypeOf: () => false,
    preventExtensions: () => false,
  }
  return new Proxy(Object.create(null) as Record<string, T>, handler)
}

function keysOf<T>(entities: EntityState<T>): string[] {
  const out = new Array<string>(entities.total)
  let i = 0
  for (const group of entities.groups) for (const shard of group) for (const key of shard.keys) out[i++] = key
  return out
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
