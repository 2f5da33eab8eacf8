// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react'
import { StrictMode } from 'react'
import { Provider } from 'react-redux'
import { afterEach, describe, expect, it } from 'vitest'
import type { UnknownAction } from '@reduxjs/toolkit'
import { collection, createReplica } from '../../src'
import type { Transport } from '../../src'
import type { PullRequest, PullResult } from '../../src/protocol'
import { createReplicaHooks } from '../../src/react'
import { makeStore, waitFor } from '../fixtures/store'

interface Note { id: number; project_id: number; body: string; _version: number }

/** An in-process server: 30 notes in projects 1..3, 10 rows a page; counts first pulls (loops started). */
function fakeServer() {
  const notes: Note[] = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, project_id: (i % 3) + 1, body: `note ${i + 1}`, _version: i + 1 }))
  const firstPulls: string[] = []
  const transport: Transport = {
    async pull({ filter, checkpoint, limit }: PullRequest): Promise<PullResult> {
      if (checkpoint === null) firstPulls.push(JSON.stringify(filter))
      const after = typeof checkpoint === 'number' ? checkpoint : 0
      const rows = notes.filter((n) => n._version > after && (filter.project_id === undefined || n.project_id === filter.project_id))
      const page = rows.slice(0, limit)
      return {
        changes: page.map((row) => ({ key: row.id, version: row._version, deleted: false, row: { ...row } })),
        checkpoint: page.at(-1)?._version ?? after,
        hasMore: rows.length > limit,
      }
    },
  }
  return { transport, firstPulls }
}

function setup() {
  const server = fakeServer()
  const replica = createReplica({ collections: { note: collection<Note>() }, transport: server.transport, pageSize: 4 })
  const actions: UnknownAction[] = []
  const store = makeStore(replica, actions)
  const { useSubscription } = createReplicaHooks(replica)
  function Notes({ project }: { project: number }) {
    const { data, status } = useSubscription('note', { project_id: project })
    return <p data-testid="notes">{`${status}: ${data.map((n) => n.id).sort((a, b) => a - b).join(',')}`}</p>
  }
  return { server, replica, store, actions, Notes }
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
