import { describe, expectTypeOf, it } from 'vitest'
import type { SerializedError } from '@reduxjs/toolkit'
import { collection, createReplica, httpTransport } from '../../src'
import type { Key, RejectedWrite, SubscriptionStatus } from '../../src'
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
    hooks.useSubscription('note', {}, { pollingInterval: 5_000, skip: true })
  })

  it('useRow', () => {
    expectTypeOf(hooks.useRow('user', 'u1')).toEqualTypeOf<UseRowResult<User>>()
    expectTypeOf(hooks.useRow('note', 1, { subscribe: { id: 1 } }).data).toEqualTypeOf<Note | undefined>()
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
    const status = hooks.useWriteStatus(remove('note', 1))
    expectTypeOf(status).toEqualTypeOf<WriteStatus>()
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
