// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react'
import { StrictMode } from 'react'
import { Provider } from 'react-redux'
import { afterEach, describe, expect, it } from 'vitest'
import { skipToken } from '../../src/react'
import { waitFor } from '../fixtures/store'
import { hooksSetup } from './hooksSetup'

afterEach(cleanup)

describe('useRow', () => {
  it('reads a row from the store and subscribes to nothing unless asked', async () => {
    const { store, replica, hooks, subscribes, close } = hooksSetup()
    const { useRow, useSubscription } = hooks
    function Note({ id }: { id: number }) {
      const { data, pending, status } = useRow('note', id)
      return <p data-testid={`note-${id}`}>{`${data?.body ?? '-'} ${pending} ${status}`}</p>
    }
    function List() {
      useSubscription('note', { project_id: 2 })
      return null
    }
    const view = render(<StrictMode><Provider store={store}><Note id={5} /></Provider></StrictMode>)
    await act(() => store.replica.whenHydrated())
    expect(subscribes()).toEqual([])
    expect(screen.getByTestId('note-5').textContent).toBe('- false idle')
    // Another component's subscription brings the row; useRow shows it.
    view.rerender(<StrictMode><Provider store={store}><List /><Note id={5} /></Provider></StrictMode>)
    await act(() => waitFor(store, (s) => replica.selectors.note.selectById(s, 5) !== undefined))
    expect(screen.getByTestId('note-5').textContent).toBe('note 5 false idle')
    await close()
  })

  it('subscribes to the filter given in `subscribe`, once under StrictMode, and shows a pending local edit', async () => {
    const { store, replica, hooks, subscribes, server, close } = hooksSetup()
    function Note({ id }: { id: number }) {
      const { data, pending, status } = hooks.useRow('note', id, { subscribe: { id } })
      return <p data-testid="note">{`${data?.body ?? '-'} ${pending} ${status}`}</p>
    }
    render(<StrictMode><Provider store={store}><Note id={7} /></Provider></StrictMode>)
    await act(() => waitFor(store, (s) => replica.selectors.selectSubscription(s, { collection: 'note', filter: { id: 7 } }).status === 'synced'))
    expect(screen.getByTestId('note').textContent).toBe('note 7 false synced')
    expect(server.firstPulls).toEqual(['{"id":7}'])
    expect(new Set(subscribes().map((a) => JSON.stringify(a.payload)))).toEqual(new Set(['{"collection":"note","filter":{"id":7}}']))
    await act(async () => {
      store.dispatch(replica.actions.save({ collection: 'note', key: 7, patch: { body: 'edited' } }))
      await waitFor(store, (s) => replica.selectors.selectIsPending(s, 'note', 7))
    })
    expect(screen.getByTestId('note').textContent).toBe('edited true synced')
    await close()
  })

  it('skipToken in place of the key reads nothing and subscribes to nothing', async () => {
    const { store, hooks, subscribes, close } = hooksSetup()
    function Note({ id }: { id?: number }) {
      const { data, status } = hooks.useRow('note', id ?? skipToken, { subscribe: { id: id ?? 0 } })
      return <p data-testid="note">{`${data === undefined} ${status}`}</p>
    }
    render(<Provider store={store}><Note /></Provider>)
    await act(() => store.replica.whenHydrated())
    expect(subscribes()).toEqual([])
    expect(screen.getByTestId('note').textContent).toBe('true idle')
    await close()
  })
})
