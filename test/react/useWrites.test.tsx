// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { StrictMode, useState } from 'react'
import { Provider } from 'react-redux'
import { afterEach, describe, expect, it } from 'vitest'
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
