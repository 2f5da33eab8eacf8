import { configureStore } from '@reduxjs/toolkit'
import { describe, expect, it } from 'vitest'
import { applyEntityChanges, emptyEntityState, entityById, entityStateFrom, GROUP_COUNT, SHARDS_PER_GROUP, slotOf, SPLIT_AT } from '../../src/state/entityState'
import { buildCollectionSelectors } from '../../src/state/selectors'
import type { EntityState } from '../../src/state/entityState'
import { collection, createReplica, memoryPersistence } from '../../src'
import type { Row } from '../../src/protocol'

type Row2 = { id: number; project_id: number }
const keyOf = (row: Row2) => row.id
const rows = (n: number, project = (i: number) => i % 3): Row2[] => Array.from({ length: n }, (_, i) => ({ id: i + 1, project_id: project(i) }))
const groupOf = (id: number) => Math.floor(slotOf(String(id)) / SHARDS_PER_GROUP)
/** The position of the key's shard in its group: 0 while the group is one shard. */
const shardIn = (state: EntityState<Row2>, id: number) => ((state.groups[groupOf(id)]?.length ?? 1) === 1 ? 0 : slotOf(String(id)) % SHARDS_PER_GROUP)
/** `count` ids, from 1 up, that all hash into one group. */
const idsInOneGroup = (count: number, group = groupOf(1)) => {
  const ids: number[] = []
  for (let id = 1; ids.length < count; id++) if (groupOf(id) === group) ids.push(id)
  return ids
}
/** Every row of a state, by key: what it holds, whatever the layout. */
const contents = (state: EntityState<Row2>) => {
  const out = new Map<string, Row2>()
  for (const group of state.groups) for (const shard of group) shard.keys.forEach((key, i) => out.set(key, shard.rows[i] as Row2))
  return out
}

describe('sharded entity state', () => {
  it('copies only the group and the shard of a changed row; everything else is shared', () => {
    const before = entityStateFrom(rows(10_000), keyOf)
    const after = applyEntityChanges(before, [{ id: 42, project_id: 9 }], [], keyOf)
    const changedGroups = after.groups.filter((group, g) => group !== before.groups[g])
    expect(changedGroups).toHaveLength(1)
    const g = groupOf(42)
    const changedShards = (after.groups[g] ?? []).filter((shard, i) => shard !== before.groups[g]?.[i])
    expect(changedShards).toHaveLength(1)
    expect(changedShards[0]).toBe(after.groups[g]?.[shardIn(after, 42)])
    expect(entityById(after, 42)).toEqual({ id: 42, project_id: 9 })
    expect(entityById(before, 42)).toEqual({ id: 42, project_id: 41 % 3 })
    expect(after.total).toBe(10_000)
  })

  it('a page touches at most one group and one shard per row, whatever the rows held', () => {
    for (const held of [1_000, 50_000]) {
      const before = entityStateFrom(rows(held), keyOf)
      const page = rows(250).map((row) => ({ ...row, project_id: 7 }))
      const after = applyEntityChanges(before, page, [], keyOf)
      const groups = new Set(page.map((row) => groupOf(row.id)))
      expect(after.groups.filter((group, g) => group !== before.groups[g])).toHaveLength(groups.size)
      expect(after.groups.length).toBe(GROUP_COUNT)
    }
  })

  it(`splits a group into ${SHARDS_PER_GROUP} shards when it passes ${SPLIT_AT} rows, by page or at hydration, and keeps every row`, () => {
    const ids = idsInOneGroup(SPLIT_AT + 10)
    const g = groupOf(ids[0] as number)
    const before = applyEntityChanges(emptyEntityState<Row2>(), ids.slice(0, SPLIT_AT).map((id) => ({ id, project_id: 1 })), [], keyOf)
    expect(before.groups[g]).toHaveLength(1)
    const after = applyEntityChanges(before, ids.slice(SPLIT_AT).map((id) => ({ id, project_id: 2 })), [], keyOf)
    expect(after.groups[g]).toHaveLength(SHARDS_PER_GROUP)
    expect(before.groups[g]).toHaveLength(1)
    expect(after.total).toBe(ids.length)
    for (const id of ids) expect(entityById(after, id)?.id).toBe(id)
    // Updates and removals inside the split group, in one action with inserts that split another.
    const other = idsInOneGroup(SPLIT_AT + 1, groupOf(ids[0] as number) === 0 ? 1 : 0)
    const mixed = applyEntityChanges(after, [{ id: ids[3] as number, project_id: 9 }, ...other.map((id) => ({ id, project_id: 3 })), { id: other[0] as number, project_id: 4 }], [ids[5] as number], keyOf)
    expect(entityById(mixed, ids[3] as number)).toEqual({ id: ids[3], project_id: 9 })
    expect(entityById(mixed, ids[5] as number)).toBeUndefined()
    expect(entityById(mixed, other[0] as number)).toEqual({ id: other[0], project_id: 4 })
    expect(mixed.total).toBe(ids.length - 1 + other.length)
    expect(entityById(after, ids[3] as number)).toEqual({ id: ids[3], project_id: 1 })
    const hydrated = entityStateFrom(ids.map((id) => ({ id, project_id: 1 })), keyOf)
    expect(hydrated.groups[g]).toHaveLength(SHARDS_PER_GROUP)
    expect(contents(hydrated)).toEqual(contents(applyEntityChanges(emptyEntityState<Row2>(), ids.map((id) => ({ id, project_id: 1 })), [], keyOf)))
  })

  it('counts inserts and removes, and ignores removing what is absent', () => {
    let state = applyEntityChanges(emptyEntityState<Row2>(), rows(5), [], keyOf)
    state = applyEntityChanges(state, [], [2, 4, 99], keyOf)
    expect(state.total).toBe(3)
    expect(entityById(state, 2)).toBeUndefined()
    expect([...contents(state).keys()].sort()).toEqual(['1', '3', '5'])
    expect(applyEntityChanges(state, [], [], keyOf)).toBe(state)
  })

  it('applies a page in order: an insert then an update of one key, a removal then a re-insert', () => {
    const state = applyEntityChanges(emptyEntityState<Row2>(), [{ id: 1, project_id: 1 }, { id: 1, project_id: 2 }, { id: 2, project_id: 1 }], [], keyOf)
    expect(state.total).toBe(2)
    expect(entityById(state, 1)).toEqual({ id: 1, project_id: 2 })
    const removed = applyEntityChanges(state, [], [1], keyOf)
    const back = applyEntityChanges(removed, [{ id: 1, project_id: 3 }], [], keyOf)
    expect(entityById(state, 1)).toEqual({ id: 1, project_id: 2 })
    expect(entityById(back, 1)).toEqual({ id: 1, project_id: 3 })
    expect(back.total).toBe(2)
  })

  it('treats 1 and "1" as one key', () => {
    const state = applyEntityChanges(emptyEntityState<Row2>(), [{ id: 1, project_id: 0 }], [], keyOf)
    expect(entityById(state, '1')).toEqual({ id: 1, project_id: 0 })
  })

  it('hydration builds the same contents as applying the rows, a later duplicate winning', () => {
    const all = [...rows(3_000), { id: 7, project_id: 42 }]
    const built = entityStateFrom(all, keyOf)
    const applied = applyEntityChanges(emptyEntityState<Row2>(), all, [], keyOf)
    expect(built.total).toBe(3_000)
    expect(contents(built)).toEqual(contents(applied))
    expect(entityById(built, 7)).toEqual({ id: 7, project_id: 42 })
    for (const group of built.groups) for (const shard of group) expect(shard.rows).toHaveLength(shard.keys.length)
  })

  it('passes RTK serializable and immutable checks on every row through pages, updates and removals', () => {
    const replica = createReplica({ collections: { note: collection<Row2>() }, transport: { pull: () => Promise.reject(new Error('unused')) }, persistence: memoryPersistence() })
    const store = configureStore({
      reducer: { replica: replica.reducer },
      // Both checks walk the whole state and every action (no ignored paths), and throw on a finding.
      middleware: (gDM) => gDM({ serializableCheck: { warnAfter: Infinity }, immutableCheck: { warnAfter: Infinity } }),
    })
    const page = (upserted: Row2[], removed: number[] = []) =>
      store.dispatch(replica.internalActions.pageApplied({ key: 'note:{}', collection: 'note', upserted: upserted as unknown as Row[], removed, received: upserted.length }))
    store.dispatch(replica.internalActions.hydrateCollection({ collection: 'note', rows: rows(500) as unknown as Row[] }))
    page(rows(800).slice(400))
    page([{ id: 3, project_id: 9 }], [4, 5])
    expect(replica.selectors.note.selectTotal(store.getState())).toBe(798)
    expect(replica.selectors.note.selectById(store.getState(), 3)).toEqual({ id: 3, project_id: 9 })
  })
})

describe('collection selectors', () => {
  const selectors = buildCollectionSelectors((state: { c: EntityState<Row2> }) => state.c, 'id')
  const state = { c: applyEntityChanges(emptyEntityState<Row2>(), rows(300), [], keyOf) }
  const byId = (list: readonly Row2[]) => [...list].sort((a, b) => a.id - b.id)

  it('select all, by id, ids, entities and total', () => {
    expect(byId(selectors.selectAll(state))).toEqual(rows(300))
    expect([...selectors.selectIds(state)].sort((a, b) => Number(a) - Number(b))).toEqual(rows(300).map((r) => r.id))
    expect(selectors.selectIds(state)).toEqual(selectors.selectAll(state).map((row) => row.id))
    expect(selectors.selectEntities(state)['7']).toEqual({ id: 7, project_id: 0 })
    expect(selectors.selectById(state, 7)).toEqual({ id: 7, project_id: 0 })
    expect(selectors.selectTotal(state)).toBe(300)
  })

  it('return the same arrays until the collection changes', () => {
    expect(selectors.selectAll(state)).toBe(selectors.selectAll(state))
    expect(selectors.selectIds(state)).toBe(selectors.selectIds(state))
    expect(selectors.selectEntities(state)).toBe(selectors.selectEntities(state))
    const changed = { c: applyEntityChanges(state.c, [{ id: 1, project_id: 2 }], [], keyOf) }
    expect(selectors.selectAll(changed)).not.toBe(selectors.selectAll(state))
  })

  it('after a change, selectAll holds the new row in the old row’s place, and follows inserts and removals', () => {
    const all = selectors.selectAll(state)
    const at = all.findIndex((row) => row.id === 150)
    const updated = { c: applyEntityChanges(state.c, [{ id: 150, project_id: 7 }], [], keyOf) }
    const after = selectors.selectAll(updated)
    expect(after[at]).toEqual({ id: 150, project_id: 7 })
    expect(after.filter((row, i) => row !== all[i])).toHaveLength(1)
    const grown = { c: applyEntityChanges(updated.c, [{ id: 301, project_id: 1 }], [10, 20], keyOf) }
    expect(byId(selectors.selectAll(grown)).map((row) => row.id)).toEqual([...rows(301).map((r) => r.id)].filter((id) => id !== 10 && id !== 20))
    expect(selectors.selectIds(grown)).toEqual(selectors.selectAll(grown).map((row) => row.id))
  })

  it('selectEntities is a read-only object of every row by key', () => {
    const entities = selectors.selectEntities(state)
    const plain = Object.fromEntries(rows(300).map((row) => [String(row.id), row]))
    expect(Object.keys(entities).sort()).toEqual(Object.keys(plain).sort())
    expect({ ...entities }).toEqual(plain)
    expect(JSON.parse(JSON.stringify(entities))).toEqual(plain)
    expect('7' in entities && !('301' in entities)).toBe(true)
    expect(Object.hasOwn(entities, '8')).toBe(true)
    expect(entities['301']).toBeUndefined()
    expect(() => {
      entities['7'] = { id: 7, project_id: 1 }
    }).toThrow(TypeError)
    expect(() => delete entities['7']).toThrow(TypeError)
  })

  it('selectWhere filters with the server semantics and memoizes per filter, whatever its key order', () => {
    const ones = selectors.selectWhere(state, { project_id: 1 })
    expect(ones).toHaveLength(100)
    expect(ones.every((row) => row.project_id === 1)).toBe(true)
    expect(selectors.selectWhere(state, { project_id: 1 })).toBe(ones)
    expect(selectors.selectWhere(state, { project_id: [2, 1] })).toHaveLength(200)
    expect(selectors.selectWhere(state, { project_id: [1, 2] })).toBe(selectors.selectWhere(state, { project_id: [2, 1] }))
    expect(selectors.selectWhere(state, {})).toHaveLength(300)
  })

  it('selectWhere keeps its array when only rows of other filters change, and follows its own', () => {
    const ones = selectors.selectWhere(state, { project_id: 1 })
    const otherChanged = { c: applyEntityChanges(state.c, [{ id: 3, project_id: 2 }, { id: 301, project_id: 0 }], [], keyOf) }
    expect(selectors.selectWhere(otherChanged, { project_id: 1 })).toBe(ones)
    const ownChanged = { c: applyEntityChanges(otherChanged.c, [{ id: 302, project_id: 1 }], [], keyOf) }
    const after = selectors.selectWhere(ownChanged, { project_id: 1 })
    expect(after).not.toBe(ones)
    expect(after).toHaveLength(101)
    const movedOut = { c: applyEntityChanges(ownChanged.c, [{ id: 302, project_id: 2 }], [], keyOf) }
    expect(selectors.selectWhere(movedOut, { project_id: 1 })).toHaveLength(100)
  })

  it('views answer for whichever state they are asked about, not only the newest', () => {
    const older = state
    const newer = { c: applyEntityChanges(state.c, [{ id: 6, project_id: 1 }], [7], keyOf) }
    expect(selectors.selectWhere(newer, { project_id: 1 })).toHaveLength(101)
    expect(selectors.selectWhere(older, { project_id: 1 })).toHaveLength(100)
    expect(selectors.selectAll(newer)).toHaveLength(299)
    expect(selectors.selectAll(older)).toHaveLength(300)
  })
})
