// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { Provider } from 'react-redux'
import { afterEach, describe, expect, it } from 'vitest'
import { collection, createOnlineManager, createReplica } from '../../src'
import { createReplicaHooks } from '../../src/react'
import { makeStore, waitFor } from '../fixtures/store'
import { notesServer } from './notesServer'
import type { Note } from './notesServer'
import { hooksSetup } from './hooksSetup'

afterEach(cleanup)

describe('useSyncState', () => {
  it('reports syncing, synced, pending writes and storage health, re-rendering only when they change', async () => {
    const { store, replica, hooks, server, close } = hooksSetup()
    let renders = 0
    function Indicator() {
      renders++
      const { status, online, syncing, pendingWrites, storage } = hooks.useSyncState()
      return <p data-testid="sync">{`${status} online=${online} syncing=${syncing} pending=${pendingWrites} storage=${storage}`}</p>
    }
    function Save() {
      const save = hooks.useSave()
      return <button onClick={() => save('note', { id: 200, project_id: 2, body: 'x' })}>save</button>
    }
    render(<Provider store={store}><Indicator /><Save /></Provider>)
    await act(() => store.replica.whenHydrated())
    expect(screen.getByTestId('sync').textContent).toBe('idle online=true syncing=false pending=0 storage=ok')
    act(() => {
      store.dispatch(replica.actions.subscribe({ collection: 'note', filter: { project_id: 2 } }))
    })
    await act(() => waitFor(store, (s) => replica.selectors.selectSyncState(s).status === 'synced'))
    expect(screen.getByTestId('sync').textContent).toBe('synced online=true syncing=false pending=0 storage=ok')
    fireEvent.click(screen.getByText('save'))
    await act(() => waitFor(store, (s) => replica.selectors.selectPendingWrites(s) === 1))
    expect(screen.getByTestId('sync').textContent).toMatch(/^synced online=true syncing=(true|false) pending=1 storage=ok$/)
    // An action that changes none of it (a dismiss of nothing) renders nothing.
    const before = renders
    act(() => {
      store.dispatch(replica.actions.dismissRejectedWrite({ id: 'no-such-write' }))
    })
    expect(renders).toBe(before)
    server.releasePushes()
    await act(() => waitFor(store, (s) => replica.selectors.selectPendingWrites(s) === 0))
    expect(screen.getByTestId('sync').textContent).toBe('synced online=true syncing=false pending=0 storage=ok')
    await close()
  })
})

describe('useSyncState offline', () => {
  it('online is false while the network is down, and true again once it is back', async () => {
    const server = notesServer()
    const onlineManager = createOnlineManager({ initiallyOnline: false })
    const replica = createReplica({ collections: { note: collection<Note>() }, transport: server.transport, onlineManager })
    const store = makeStore(replica)
    const { useSyncState, useSubscription } = createReplicaHooks(replica)
    function Indicator() {
      useSubscription('note', { project_id: 1 })
      const { online, status } = useSyncState()
      return <p data-testid="online">{`${online} ${status}`}</p>
    }
    render(<Provider store={store}><Indicator /></Provider>)
    await act(() => waitFor(store, (s) => replica.selectors.selectSyncState(s).status === 'offline'))
    expect(screen.getByTestId('online').textContent).toBe('false offline')
    act(() => onlineManager.setOnline(true))
    await act(() => waitFor(store, (s) => replica.selectors.selectSyncState(s).status === 'synced'))
    expect(screen.getByTestId('online').textContent).toBe('true synced')
    server.releasePushes()
    await store.replica.close()
  })
})
