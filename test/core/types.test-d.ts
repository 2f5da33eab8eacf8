import { configureStore } from '@reduxjs/toolkit'
import { describe, expectTypeOf, it } from 'vitest'
import { collection, createReplica, httpTransport, mergeFields } from '../../src'
import type { DefaultRow, Key, SubscriptionState } from '../../src'

interface Note { id: number; project_id: number; body: string; updated_at: string }
interface User { uuid: string; name: string }

const replica = createReplica({
  collections: { note: collection<Note>(), user: collection<User>({ primaryKey: 'uuid' }), tag: {} },
  transport: httpTransport({ url: 'http://localhost/replica' }),
})
const store = configureStore({
  reducer: { [replica.reducerPath]: replica.reducer },
  middleware: (gDM) => gDM().concat(replica.middleware),
  enhancers: (gDE) => gDE().concat(replica.enhancer),
})
type RootState = ReturnType<typeof store.getState>

describe('inference', () => {
  it('selectAll(state) is Note[] without casts', () => {
    const state = store.getState()
    expectTypeOf(replica.selectors.note.selectAll(state)).toEqualTypeOf<Note[]>()
    expectTypeOf(replica.selectors.note.selectById(state, 1)).toEqualTypeOf<Note | undefined>()
    expectTypeOf(replica.selectors.note.selectWhere(state, { project_id: 7 })).toEqualTypeOf<Note[]>()
    expectTypeOf(replica.selectors.user.selectAll(state)).toEqualTypeOf<User[]>()
    expectTypeOf(replica.selectors.note.selectIds(state)).toEqualTypeOf<Key[]>()
    expectTypeOf(replica.selectors.note.selectEntities(state)).toEqualTypeOf<Record<string, Note>>()
    expectTypeOf(replica.selectors.note.selectTotal(state)).toEqualTypeOf<number>()
  })

  it('a collection configured as {} holds plain JSON rows', () => {
    expectTypeOf(replica.selectors.tag.selectAll(store.getState())).toEqualTypeOf<DefaultRow[]>()
  })

  it('the reducer path is a literal, and the store carries the replica handle', () => {
    expectTypeOf(replica.reducerPath).toEqualTypeOf<'replica'>()
    expectTypeOf<RootState>().toHaveProperty('replica')
    expectTypeOf(store.replica.whenHydrated).returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf(replica.selectors.selectSubscription(store.getState(), { collection: 'note' })).toEqualTypeOf<SubscriptionState>()
  })

  it('rejects what does not fit', () => {
    // @ts-expect-error: no such collection
    replica.selectors.invoice.selectAll(store.getState())
    // @ts-expect-error: primaryKey must be a field of the row
    collection<User>({ primaryKey: 'id' })
    // @ts-expect-error: a state without the replica
    replica.selectors.note.selectAll({ other: 1 })
    // @ts-expect-error: a custom reducerPath changes where the state is read
    createReplica({ reducerPath: 'offline', collections: { note: collection<Note>() }, transport: httpTransport({ url: '' }) }).selectors.note.selectAll(store.getState())
  })
})

describe('onConflict', () => {
  it('base, local and server have the row type of the collection named', () => {
    createReplica({
      collections: { note: collection<Note>(), user: collection<User>({ primaryKey: 'uuid' }) },
      transport: httpTransport({ url: 'http://localhost/replica' }),
      onConflict: (conflict) => {
        if (conflict.collection === 'note') {
          expectTypeOf(conflict.base).toEqualTypeOf<Note | null>()
          expectTypeOf(conflict.local).toEqualTypeOf<Note | null>()
          expectTypeOf(conflict.server).toEqualTypeOf<Note | null>()
          return conflict.server ? { ...conflict.server, body: conflict.local?.body ?? '' } : 'server'
        }
        expectTypeOf(conflict.base).toEqualTypeOf<User | null>()
        // @ts-expect-error: a user has no body
        void conflict.base?.body
        return 'server'
      },
    })
  })

  it('mergeFields fits onConflict as it is, and its per-field rules are typed by the row', () => {
    createReplica({ collections: { note: collection<Note>() }, transport: httpTransport({ url: '' }), onConflict: mergeFields() })
    mergeFields<Note>({ fields: { body: ({ local, server }) => `${server ?? ''}${local ?? ''}` } })
    // @ts-expect-error: body is a string
    mergeFields<Note>({ fields: { body: () => 1 } })
    // @ts-expect-error: no such field
    mergeFields<Note>({ fields: { title: () => 'x' } })
  })
})
