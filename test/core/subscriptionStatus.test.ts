import { describe, expect, it } from 'vitest'
import { createReplica } from '../../src'
import type { Transport } from '../../src'

const transport: Transport = { pull: async () => ({ changes: [], checkpoint: null, hasMore: false }) }
const replica = createReplica({ collections: { note: {} }, transport })
const scope = { collection: 'note', filter: { project_id: 7 } }
const key = 'note:{"project_id":7}'
const run = (...actions: Array<{ type: string }>) =>
  actions.reduce(replica.reducer, replica.reducer(undefined, { type: '@@init' }))

describe('a subscription\'s status in state', () => {
  it('counts what arrived, and estimates what remains between the server\'s counts', () => {
    const state = run(
      replica.actions.subscribe(scope),
      replica.internalActions.syncStarted({ key }),
      replica.internalActions.pageApplied({ key, collection: 'note', upserted: [], removed: [], received: 250, remaining: 750 }),
      replica.internalActions.pageApplied({ key, collection: 'note', upserted: [], removed: [], received: 250 }),
    )
    expect(state.subscriptions[key]).toMatchObject({ status: 'syncing', received: 500, remaining: 500 })
  })

  it('is synced, with a time, when the pull reaches the end, and carries a serialized error on failure', () => {
    const synced = run(replica.actions.subscribe(scope), replica.internalActions.syncSucceeded({ key, at: '2026-11-28T09:00:00.000Z' }))
    expect(synced.subscriptions[key]).toMatchObject({ status: 'synced', lastSyncedAt: '2026-11-28T09:00:00.000Z' })
    const failed = run(replica.actions.subscribe(scope), replica.internalActions.syncFailed({ key, error: { name: 'ReplicaError', message: 'no', code: 'http' } }))
    expect(failed.subscriptions[key]).toMatchObject({ status: 'error', error: { message: 'no', code: 'http' } })
  })

  it('keeps one entry per scope, whatever the filter\'s key order', () => {
    const state = run(replica.actions.subscribe({ collection: 'note', filter: { b: 1, a: 2 } }), replica.actions.subscribe({ collection: 'note', filter: { a: 2, b: 1 } }))
    expect(Object.keys(state.subscriptions)).toEqual(['note:{"a":2,"b":1}'])
  })
})
