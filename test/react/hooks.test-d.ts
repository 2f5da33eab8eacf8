import { describe, expectTypeOf, it } from 'vitest'
import type { SerializedError } from '@reduxjs/toolkit'
import { collection, createReplica, httpTransport } from '../../src'
import type { EvictedPayload, Key, RejectedWrite, SubscriptionStatus, WriteState } from '../../src'
import { createReplicaHooks, skipToken } from '../../src/react'
import type { ReplicaSyncStatus, UseRowResult, UseSubscriptionResult, WriteRef, WriteStatus } from '../../src/react'

interface Note { id: number; project_id: number; body: string }
interface User { uuid: string; name: string }

const replica = createReplica({
  collections: { note: collection<Note>(), user: collection<User>({ primaryKey: 'uuid' }) },
  transport: httpTransport({ url: 'http://localhost/replica' }),
})
const hooks = createReplicaHooks(replica)

describe('hook results are typed from the replica, without casts', () => {
  it('useSubscription', () => {
    const result = hooks.useSubscription('note', { project_id: 1 })
    expectTypeOf(result).toEqualTypeOf<UseSubscriptionResult<Note>>()
    expectTypeOf(result.data).toEqualTypeOf<Note[]>()
    expectTypeOf(result.status).toEqualTypeOf<SubscriptionStatus>()
    expectTypeOf(result.error).toEqualTypeOf<SerializedError | undefined>()
    expectTypeOf(hooks.useSubscription('user', skipToken).data).toEqualTypeOf<User[]>()
    // @ts-expect-error: not a collection of this replica
    hooks.useSubscription('invoice')
  })

  it('useSubscription with selectFromResult returns what it selects', () => {
    const picked = hooks.useSubscription('note', {}, { selectFromResult: ({ data, status }) => ({ first: data[0], status }) })
    expectTypeOf(picked).toEqualTypeOf<{ first: Note | undefined; status: SubscriptionStatus }>()
    hooks.useSubscription('note', {}, { pollingInterval: 5_000, skip: true, keepUnusedDataFor: 0 })
    // @ts-expect-error: seconds, a number
    hooks.useSubscription('note', {}, { keepUnusedDataFor: '60' })
  })

  it('useRow', () => {
    expectTypeOf(hooks.useRow('user', 'u1')).toEqualTypeOf<UseRowResult<User>>()
    expectTypeOf(hooks.useRow('note', 1, { subscribe: { id: 1 }, keepUnusedDataFor: Infinity }).data).toEqualTypeOf<Note | undefined>()
  })

  it('useSave, useRemove, useWriteStatus', () => {
    const save = hooks.useSave()
    expectTypeOf(save('note', { id: 1, body: 'x' })).toEqualTypeOf<WriteRef<'note'>>()
    expectTypeOf(save('user', 'u1', { name: 'Ada' })).toEqualTypeOf<WriteRef<'user'>>()
    // @ts-expect-error: body is a string
    save('note', { id: 1, body: 2 })
    // @ts-expect-error: no such field
    save('user', 'u1', { title: 'x' })
    const remove = hooks.useRemove()
    expectTypeOf(remove('note', 1)).toEqualTypeOf<WriteRef<'note'>>()
    expectTypeOf(remove('note', 1).id).toEqualTypeOf<string | undefined>()
    const status = hooks.useWriteStatus(remove('note', 1))
    expectTypeOf(status).toEqualTypeOf<WriteStatus>()
    expectTypeOf(status.status).toEqualTypeOf<'idle' | 'pending' | 'saved' | 'rejected' | 'overruled'>()
    expectTypeOf(status.rejected).toEqualTypeOf<RejectedWrite | undefined>()
    expectTypeOf<WriteRef['key']>().toEqualTypeOf<Key | undefined>()
  })

  it('useSyncState', () => {
    const sync = hooks.useSyncState()
    expectTypeOf(sync).toEqualTypeOf<ReplicaSyncStatus>()
    expectTypeOf(sync.online).toEqualTypeOf<boolean>()
    expectTypeOf(sync.pendingWrites).toEqualTypeOf<number>()
    expectTypeOf(sync.storage).toEqualTypeOf<'ok' | 'failing'>()
  })
})

describe('the actions and selectors behind them', () => {
  it('save and remove carry their write id; selectWriteStatus reads it', () => {
    const action = replica.actions.save({ collection: 'note', row: { id: 1 } })
    expectTypeOf(action.meta.writeId).toEqualTypeOf<string>()
    expectTypeOf(replica.actions.remove({ collection: 'note', key: 1 }).meta.writeId).toEqualTypeOf<string>()
    expectTypeOf(replica.selectors.selectWriteStatus).returns.toEqualTypeOf<WriteState>()
  })

  it('keepUnusedDataFor on the replica and on a subscribe, maxRows on a collection', () => {
    createReplica({ collections: { note: collection<Note>({ maxRows: 10_000 }) }, transport: httpTransport({ url: '/' }), keepUnusedDataFor: 300 })
    replica.actions.subscribe({ collection: 'note', filter: {}, keepUnusedDataFor: Infinity })
    expectTypeOf(replica.internalActions.evicted).parameter(0).toEqualTypeOf<EvictedPayload>()
  })
})
