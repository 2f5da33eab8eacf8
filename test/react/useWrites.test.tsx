// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { StrictMode, useState } from 'react'
import { Provider } from 'react-redux'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { WriteRef } from '../../src/react'
import { waitFor } from '../fixtures/store'
import { hooksSetup } from './hooksSetup'

afterEach(cleanup)

function editor(hooks: ReturnType<typeof hooksSetup>['hooks']) {
  return function Editor({ body }: { body: string }) {
    const save = hooks.useSave()
    const remove = hooks.useRemove()
    const [write, setWrite] = useState<WriteRef>()
    const { pending, rejected } = hooks.useWriteStatus(write)
    return (
      <>
        <button onClick={() => setWrite(save('note', { id: 100, project_id: 1, body }))}>add</button>
        <button onClick={() => setWrite(save('note', 1, { body }))}>edit</button>
        <button onClick={() => setWrite(remove('note', 4))}>remove</button>
        <p data-testid="status">{`${write ? `${write.collection}/${write.key}` : '-'} ${pending} ${rejected?.error.code ?? '-'}`}</p>
      </>
    )
  }
}

describe('useSave, useRemove, useWriteStatus', () => {
  it('a saved row names its key, is pending until the server answers, then is not', async () => {
    const { store, replica, hooks, server, close } = hooksSetup()
    const Editor = editor(hooks)
    render(<StrictMode><Provider store={store}><Editor body="new" /></Provider></StrictMode>)
    await act(() => store.replica.whenHydrated())
    fireEvent.click(screen.getByText('add'))
    await act(() => waitFor(store, (s) => replica.selectors.selectIsPending(s, 'note', 100)))
    expect(screen.getByTestId('status').textContent).toBe('note/100 true -')
    expect(replica.selectors.note.selectById(store.getState(), 100)?.body).toBe('new')
    server.releasePushes()
    await act(() => waitFor(store, (s) => !replica.selectors.selectIsPending(s, 'note', 100)))
    expect(screen.getByTestId('status').textContent).toBe('note/100 false -')
    await close()
  })

  it('a patch and a remove name the row they touched', async () => {
    const { store, replica, hooks, close } = hooksSetup()
    const Editor = editor(hooks)
    render(<Provider store={store}><Editor body="patched" /></Provider>)
    await act(() => store.replica.whenHydrated())
    store.dispatch(replica.actions.subscribe({ collection: 'note', filter: { project_id: 1 } }))
    await act(() => waitFor(store, (s) => replica.selectors.note.selectById(s, 4) !== undefined))
    fireEvent.click(screen.getByText('edit'))
    await act(() => waitFor(store, (s) => replica.selectors.note.selectById(s, 1)?.body === 'patched'))
    expect(screen.getByTestId('status').textContent).toBe('note/1 true -')
    fireEvent.click(screen.getByText('remove'))
    await act(() => waitFor(store, (s) => replica.selectors.note.selectById(s, 4) === undefined))
    expect(screen.getByTestId('status').textContent).toBe('note/4 true -')
    await close()
  })

  it('a write the server refuses shows as rejected, and stops showing once dismissed', async () => {
    const { store, replica, hooks, server, close } = hooksSetup()
    const Editor = editor(hooks)
    render(<Provider store={store}><Editor body="refuse me" /></Provider>)
    await act(() => store.replica.whenHydrated())
    server.releasePushes()
    fireEvent.click(screen.getByText('add'))
    await act(() => waitFor(store, (s) => replica.selectors.selectRejectedWrites(s).length === 1))
    expect(screen.getByTestId('status').textContent).toBe('note/100 false forbidden')
    const [rejected] = replica.selectors.selectRejectedWrites(store.getState())
    act(() => {
      store.dispatch(replica.actions.dismissRejectedWrite({ id: rejected!.id }))
    })
    expect(screen.getByTestId('status').textContent).toBe('note/100 false -')
    await close()
  })
})

/** Two writes of note 100 kept apart, each with its own status. */
function twoWrites(hooks: ReturnType<typeof hooksSetup>['hooks']) {
  return function TwoWrites({ second }: { second: string }) {
    const save = hooks.useSave()
    const [writes, setWrites] = useState<{ first?: WriteRef; second?: WriteRef }>({})
    const first = hooks.useWriteStatus(writes.first)
    const next = hooks.useWriteStatus(writes.second)
    return (
      <>
        <button onClick={() => setWrites({ first: save('note', { id: 100, project_id: 1, body: 'one' }) })}>first</button>
        <button onClick={() => {
          const ref = save('note', 100, { body: second })
          setWrites((w) => ({ ...w, second: ref }))
        }}>second</button>
        <button onClick={() => setWrites({ first: save('note', { id: 100, project_id: 1, body: 'one' }), second: save('note', 100, { body: second }) })}>both at once</button>
        <p data-testid="statuses">{`${first.status} ${next.status} ${first.rejected?.error.code ?? '-'} ${next.rejected?.error.code ?? '-'}`}</p>
      </>
    )
  }
}

describe('useWriteStatus on the id useSave returns', () => {
  it('the id is the mutation id the server receives; each write has its own status, pending then saved', async () => {
    const { store, hooks, server, close } = hooksSetup()
    const TwoWrites = twoWrites(hooks)
    render(<StrictMode><Provider store={store}><TwoWrites second="two" /></Provider></StrictMode>)
    await act(() => store.replica.whenHydrated())
    const statuses = () => screen.getByTestId('statuses').textContent
    fireEvent.click(screen.getByText('first'))
    expect(statuses()).toBe('pending idle - -')
    // The push was called (no action says so: poll).
    await act(() => vi.waitFor(() => expect(server.pushed).toHaveLength(1)))
    // The first is on its way: the second is a mutation of its own.
    fireEvent.click(screen.getByText('second'))
    expect(statuses()).toBe('pending pending - -')
    const unanswered = () => Object.keys(store.getState().replica.writes.unanswered)
    const [firstId, secondId] = unanswered()
    server.releasePushes()
    server.holdPushes()
    await act(() => waitFor(store, () => unanswered().length === 1))
    expect(statuses()).toBe('saved pending - -')
    server.releasePushes()
    await act(() => waitFor(store, () => unanswered().length === 0))
    expect(statuses()).toBe('saved saved - -')
    expect(server.pushed).toEqual([[firstId], [secondId]])
    await close()
  })

  it('a write that joins one not yet sent shares its mutation and its fate, and stays rejected once dismissed', async () => {
    const { store, replica, hooks, server, close } = hooksSetup()
    const TwoWrites = twoWrites(hooks)
    render(<Provider store={store}><TwoWrites second="refuse me" /></Provider>)
    await act(() => store.replica.whenHydrated())
    server.releasePushes()
    fireEvent.click(screen.getByText('both at once'))
    const statuses = () => screen.getByTestId('statuses').textContent
    expect(statuses()).toBe('pending pending - -')
    await act(() => waitFor(store, (s) => replica.selectors.selectRejectedWrites(s).length === 1))
    expect(statuses()).toBe('rejected rejected forbidden forbidden')
    expect(server.pushed).toHaveLength(1)
    const [refusal] = replica.selectors.selectRejectedWrites(store.getState())
    expect(server.pushed[0]).toEqual([refusal!.id])
    act(() => {
      store.dispatch(replica.actions.dismissRejectedWrite({ id: refusal!.id }))
    })
    expect(statuses()).toBe('rejected rejected - -')
    await close()
  })
})
