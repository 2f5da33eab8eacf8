import type { UnknownAction } from '@reduxjs/toolkit'
import { collection, createReplica } from '../../src'
import { createReplicaHooks } from '../../src/react'
import { makeStore } from '../fixtures/store'
import { notesServer } from './notesServer'
import type { Note } from './notesServer'

/** A real store (RTK's checks on) over the notes server, its action log, and the typed hooks. */
export function hooksSetup() {
  const server = notesServer()
  const replica = createReplica({ collections: { note: collection<Note>() }, transport: server.transport, pageSize: 4 })
  const actions: UnknownAction[] = []
  const store = makeStore(replica, actions)
  const hooks = createReplicaHooks(replica)
  const subscribes = () => actions.filter((a) => replica.actions.subscribe.match(a))
  /** Lets held pushes through, then closes the store. */
  const close = async () => {
    server.releasePushes()
    await store.replica.close()
  }
  return { server, replica, store, actions, subscribes, hooks, close }
}
