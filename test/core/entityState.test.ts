import { describe, expect, it } from 'vitest'
import { applyEntityChanges, emptyEntityState, entityById, SHARD_COUNT, shardOf } from '../../src/state/entityState'
import { buildCollectionSelectors } from '../../src/state/selectors'
import type { EntityState } from '../../src/state/entityState'

type Row = { id: number; project_id: number }
const keyOf = (row: Row) => row.id
const rows = (n: number, project = (i: number) => i % 3): Row[] => Array.from({ length: n }, (_, i) => ({ id: i + 1, project_id: project(i) }))

describe('sharded entity state', () => {
  it('shares every untouched shard with the previous state', () => {
    const before = applyEntityChanges(emptyEntityState<Row>(), rows(10_000), [], keyOf)
    const after = applyEntityChanges(before, [{ id: 42, project_id: 9 }], [], keyOf)
    const touched = shardOf('42')
    const shared = after.shards.filter((shard, i) => shard === before.shards[i]).length
    expect(shared).toBe(SHARD_COUNT - 1)
    expect(after.shards[touched]).not.toBe(before.shards[touched])
    expect(entityById(after, 42)).toEqual({ id: 42, project_id: 9 })
    expect(entityById(before, 42)).toEqual({ id: 42, project_id: 41 % 3 })
    expect(after.total).toBe(10_000)
  })

  it('counts inserts and removes, and ignores removing what is absent', () => {
    let state = applyEntityChanges(emptyEntityState<Row>(), rows(5), [], keyOf)
    state = applyEntityChanges(state, [], [2, 4, 99], keyOf)
    expect(state.total).toBe(3)
    expect(entityById(state, 2)).toBeUndefined()
    expect(applyEntityChanges(state, [], [], keyOf)).toBe(state)
  })

  it('treats 1 and "1" as one key', () => {
    const state = applyEntityChanges(emptyEntityState<Row>(), [{ id: 1, project_id: 0 }], [], keyOf)
    expect(entityById(state, '1')).toEqual({ id: 1, project_id: 0 })
  })
})

describe('collection selectors', () => {
  const selectors = buildCollectionSelectors((state: { c: EntityState<Row> }) => state.c, 'id')
  const state = { c: applyEntityChanges(emptyEntityState<Row>(), rows(300), [], keyOf) }

  it('select all, by id, ids, entities and total', () => {
    expect(selectors.selectAll(state)).toHaveLength(300)
    expect([...selectors.selectIds(state)].sort((a, b) => Number(a) - Number(b))).toEqual(rows(300).map((r) => r.id))
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
})
