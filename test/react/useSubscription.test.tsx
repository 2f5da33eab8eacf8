// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react'
import { Component, StrictMode } from 'react'
import type { ReactNode } from 'react'
import { Provider } from 'react-redux'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { configureStore } from '@reduxjs/toolkit'
import type { Store, UnknownAction } from '@reduxjs/toolkit'
import { collection, createReplica } from '../../src'
import { createReplicaHooks, skipToken } from '../../src/react'
import { makeStore, waitFor } from '../fixtures/store'
import { notesServer } from './notesServer'
import type { Note } from './notesServer'

function setup(pollingInterval?: number) {
  const server = notesServer()
  const replica = createReplica({ collections: { note: collection<Note>() }, transport: server.transport, pageSize: 4, pollingInterval })
  const actions: UnknownAction[] = []
  const store = makeStore(replica, actions)
  const { useSubscription } = createReplicaHooks(replica)
  function Notes({ project }: { project: number }) {
    const { data, status } = useSubscription('note', { project_id: project })
    return <p data-testid="notes">{`${status}: ${data.map((n) => n.id).sort((a, b) => a - b).join(',')}`}</p>
  }
  const subscribes = () => actions.filter((a) => replica.actions.subscribe.match(a))
  return { server, replica, store, actions, subscribes, useSubscription, Notes }
}

afterEach(cleanup)

describe('useSubscription', () => {
  it('subscribes while mounted and renders the rows the subscription sees', async () => {
    const { store, replica, Notes } = setup()
    render(<Provider store={store}><Notes project={2} /></Provider>)
    await act(() => waitFor(store, (s) => replica.selectors.selectSubscription(s, { collection: 'note', filter: { project_id: 2 } }).status === 'synced'))
    expect(screen.getByTestId('notes').textContent).toBe('synced: 2,5,8,11,14,17,20,23,26,29')
    await store.replica.close()
  })

  it('survives StrictMode\'s mount, unmount and remount with one sync loop', async () => {
    const { store, replica, server, actions, Notes } = setup()
    await store.replica.whenHydrated()
    render(<StrictMode><Provider store={store}><Notes project={1} /><Notes project={1} /></Provider></StrictMode>)
    await act(() => waitFor(store, (s) => replica.selectors.selectSubscription(s, { collection: 'note', filter: { project_id: 1 } }).status === 'synced'))
    expect(server.firstPulls).toEqual(['{"project_id":1}'])
    expect(actions.map((a) => a.type).filter((t) => /sync(Started|Stopped)/.test(t))).toEqual(['replica/syncStarted'])
    expect(screen.getAllByTestId('notes').map((p) => p.textContent)).toEqual(Array(2).fill('synced: 1,4,7,10,13,16,19,22,25,28'))
    await store.replica.close()
  })

  it('unsubscribes on unmount, and follows a changed filter', async () => {
    const { store, replica, Notes } = setup()
    const view = render(<Provider store={store}><Notes project={1} /></Provider>)
    const status = (project: number) => replica.selectors.selectSubscription(store.getState(), { collection: 'note', filter: { project_id: project } }).status
    await act(() => waitFor(store, () => status(1) === 'synced'))
    view.rerender(<Provider store={store}><Notes project={3} /></Provider>)
    await act(() => waitFor(store, () => status(3) === 'synced' && status(1) === 'idle'))
    expect(screen.getByTestId('notes').textContent).toBe('synced: 3,6,9,12,15,18,21,24,27,30')
    view.unmount()
    await act(() => waitFor(store, () => status(3) === 'idle'))
    await store.replica.close()
  })

  it('renders an error status, not a crash, for a collection that is not configured', async () => {
    const { store, replica } = setup()
    const { useSubscription } = createReplicaHooks(replica)
    function Invoices() {
      const { data, status, error } = useSubscription('invoice' as 'note')
      return <p data-testid="invoices">{`${status}: ${data.length} ${error?.code ?? ''}`}</p>
    }
    render(<Provider store={store}><Invoices /></Provider>)
    await act(() => waitFor(store, () => replica.selectors.selectSubscription(store.getState(), { collection: 'invoice' }).status === 'error'))
    expect(screen.getByTestId('invoices').textContent).toBe('error: 0 unknown_collection')
    await store.replica.close()
  })
})

describe('useSubscription options', () => {
  const synced = (replica: ReturnType<typeof setup>['replica'], project: number) => (s: Parameters<typeof replica.selectors.selectSubscription>[0]) =>
    replica.selectors.selectSubscription(s, { collection: 'note', filter: { project_id: project } }).status === 'synced'

  it('skip: true sends no subscribe and returns no rows, until it turns false', async () => {
    const { store, replica, subscribes, useSubscription } = setup()
    function Maybe({ skip }: { skip: boolean }) {
      const { data, status, isSkipped } = useSubscription('note', { project_id: 2 }, { skip })
      return <p data-testid="maybe">{`${isSkipped} ${status} ${data.length}`}</p>
    }
    const view = render(<StrictMode><Provider store={store}><Maybe skip /></Provider></StrictMode>)
    await act(() => store.replica.whenHydrated())
    expect(subscribes()).toEqual([])
    expect(screen.getByTestId('maybe').textContent).toBe('true idle 0')
    view.rerender(<StrictMode><Provider store={store}><Maybe skip={false} /></Provider></StrictMode>)
    await act(() => waitFor(store, synced(replica, 2)))
    expect(screen.getByTestId('maybe').textContent).toBe('false synced 10')
    await store.replica.close()
  })

  it('skipToken in place of the filter sends no subscribe; a filter given later subscribes once', async () => {
    const { store, replica, subscribes, server, useSubscription } = setup()
    function Project({ id }: { id?: number }) {
      const { data, isSkipped } = useSubscription('note', id === undefined ? skipToken : { project_id: id })
      return <p data-testid="project">{`${isSkipped} ${data.length}`}</p>
    }
    const view = render(<StrictMode><Provider store={store}><Project /></Provider></StrictMode>)
    await act(() => store.replica.whenHydrated())
    expect(subscribes()).toEqual([])
    expect(screen.getByTestId('project').textContent).toBe('true 0')
    view.rerender(<StrictMode><Provider store={store}><Project id={3} /></Provider></StrictMode>)
    await act(() => waitFor(store, synced(replica, 3)))
    expect(screen.getByTestId('project').textContent).toBe('false 10')
    expect(server.firstPulls).toEqual(['{"project_id":3}'])
    await store.replica.close()
  })

  it('pollingInterval reaches the subscription: with replica polling off, the hook\'s own interval brings a server change', async () => {
    const { store, replica, server, subscribes, useSubscription } = setup(0)
    function Polled() {
      const { data } = useSubscription('note', { project_id: 1 }, { pollingInterval: 20 })
      return <p data-testid="polled">{data.length}</p>
    }
    render(<Provider store={store}><Polled /></Provider>)
    await act(() => waitFor(store, synced(replica, 1)))
    expect(subscribes().map((a) => (a.payload as { pollingInterval?: number }).pollingInterval)).toEqual([20])
    server.add({ id: 31, project_id: 1, body: 'from elsewhere' })
    await act(() => waitFor(store, (s) => replica.selectors.note.selectById(s, 31) !== undefined))
    expect(screen.getByTestId('polled').textContent).toBe('11')
    await store.replica.close()
  })

  it('without pollingInterval, a replica with polling off does not poll', async () => {
    const { store, replica, server, useSubscription } = setup(0)
    function Unpolled() {
      return <p>{useSubscription('note', { project_id: 1 }).data.length}</p>
    }
    render(<Provider store={store}><Unpolled /></Provider>)
    await act(() => waitFor(store, synced(replica, 1)))
    const pulls = server.pulls()
    await act(() => new Promise((resolve) => setTimeout(resolve, 100)))
    expect(server.pulls()).toBe(pulls)
    await store.replica.close()
  })

  it('selectFromResult: a component re-renders only when what it selects changes', async () => {
    const { store, replica, server, useSubscription } = setup()
    const renders = { count: 0, rows: 0 }
    function Count() {
      renders.count++
      const { total } = useSubscription('note', { project_id: 1 }, { selectFromResult: ({ data }) => ({ total: data.length }) })
      return <p data-testid="count">{total}</p>
    }
    function Rows() {
      renders.rows++
      const { data } = useSubscription('note', { project_id: 1 })
      return <p data-testid="rows">{data.map((n) => n.body).join('|').length}</p>
    }
    render(<Provider store={store}><Count /><Rows /></Provider>)
    await act(() => waitFor(store, synced(replica, 1)))
    expect(screen.getByTestId('count').textContent).toBe('10')
    const before = { ...renders }
    // A new body for a note of project 1: the rows change, their number does not.
    await act(async () => {
      store.dispatch(replica.actions.save({ collection: 'note', key: 1, patch: { body: 'a much longer body than before' } }))
      await waitFor(store, (s) => replica.selectors.note.selectById(s, 1)?.body === 'a much longer body than before')
    })
    expect(renders.rows).toBeGreaterThan(before.rows)
    expect(renders.count).toBe(before.count)
    server.releasePushes()
    await store.replica.close()
  })
})

type Replica = ReturnType<typeof setup>['replica']

describe('a store without the replica', () => {
  class Boundary extends Component<{ children: ReactNode }, { error?: Error }> {
    override state: { error?: Error } = {}
    static getDerivedStateFromError(error: Error) {
      return { error }
    }
    override render() {
      return this.state.error ? <p data-testid="error">{this.state.error.message}</p> : this.props.children
    }
  }
  const quiet = () => vi.spyOn(console, 'error').mockImplementation(() => {})

  // Each store lacks one part of the replica; the first render names it.
  it.each<[string, RegExp, (r: Replica) => Store]>([
    ['middleware', /no replica\.middleware/, (r: Replica) => configureStore({ reducer: { [r.reducerPath]: r.reducer }, enhancers: (gDE) => gDE().concat(r.enhancer) })],
    ['enhancer', /no replica\.enhancer/, (r: Replica) => configureStore({ reducer: { [r.reducerPath]: r.reducer }, middleware: (gDM) => gDM().concat(r.middleware) })],
    ['reducer', /no "replica" state/, () => configureStore({ reducer: { other: (s: number = 0) => s } })],
  ])('throws a clear error when the %s is missing', (_part, message, storeWithout) => {
    const { replica, useSubscription } = setup()
    function Notes() {
      return <p>{useSubscription('note').data.length}</p>
    }
    const spy = quiet()
    render(<Boundary><Provider store={storeWithout(replica)}><Notes /></Provider></Boundary>)
    spy.mockRestore()
    expect(screen.getByTestId('error').textContent).toMatch(message)
  })
})
