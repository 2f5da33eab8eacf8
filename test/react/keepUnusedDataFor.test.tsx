// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react'
import { StrictMode } from 'react'
import { Provider } from 'react-redux'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../fixtures/store'
import { hooksSetup } from './hooksSetup'

// The hooks' keepUnusedDataFor (docs/eviction.md): what happens to a scope's data when the last
// component holding it unmounts.
afterEach(cleanup)

const P1 = { collection: 'note', filter: { project_id: 1 } }
const tick = () => act(() => new Promise((resolve) => setTimeout(resolve, 20)))

describe('keepUnusedDataFor in the hooks', () => {
  it('0: StrictMode\'s remount keeps the rows; the last unmount evicts them from Redux at once', async () => {
    const { store, replica, actions, hooks, close } = hooksSetup()
    function Notes() {
      const { data } = hooks.useSubscription('note', { project_id: 1 }, { keepUnusedDataFor: 0 })
      return <p data-testid="notes">{data.length}</p>
    }
    const evictions = () => actions.filter(replica.internalActions.evicted.match)
    const view = render(<StrictMode><Provider store={store}><Notes /></Provider></StrictMode>)
    await act(() => waitFor(store, (s) => replica.selectors.selectSubscription(s, P1).status === 'synced'))
    await tick()
    expect(evictions()).toEqual([])
    expect(screen.getByTestId('notes').textContent).toBe('10')
    const subscribe = actions.find(replica.actions.subscribe.match)
    expect(subscribe?.payload).toEqual({ ...P1, keepUnusedDataFor: 0 })

    view.unmount()
    await act(() => waitFor(store, () => evictions().length === 1))
    expect(replica.selectors.note.selectTotal(store.getState())).toBe(0)
    expect(evictions()[0]?.payload).toMatchObject({ reason: 'unused', kept: 0 })
    await close()
  })

  it('by default, a remount within the time renders the rows at once and pulls nothing from the start again', async () => {
    const { store, replica, server, hooks, close } = hooksSetup()
    const firstRenders: string[] = []
    function Notes() {
      const { data, status } = hooks.useSubscription('note', { project_id: 1 })
      if (firstRenders.length === 0 || firstRenders.at(-1) === 'unmounted') firstRenders.push(`${status} ${data.length}`)
      return <p data-testid="notes">{data.length}</p>
    }
    const view = render(<StrictMode><Provider store={store}><Notes /></Provider></StrictMode>)
    await act(() => waitFor(store, (s) => replica.selectors.selectSubscription(s, P1).status === 'synced'))
    view.unmount()
    firstRenders.push('unmounted')
    await act(() => waitFor(store, (s) => replica.selectors.selectSubscription(s, P1).status === 'idle'))
    render(<StrictMode><Provider store={store}><Notes /></Provider></StrictMode>)
    expect(firstRenders).toEqual(['idle 0', 'unmounted', 'idle 10'])
    await act(() => waitFor(store, (s) => replica.selectors.selectSubscription(s, P1).status === 'synced'))
    expect(server.firstPulls).toEqual(['{"project_id":1}'])
    expect(screen.getByTestId('notes').textContent).toBe('10')
    await close()
  })

  it('useRow\'s subscription takes it too', async () => {
    const { store, replica, hooks, close } = hooksSetup()
    function Note() {
      const { data } = hooks.useRow('note', 5, { subscribe: { project_id: 2 }, keepUnusedDataFor: 0 })
      return <p data-testid="note">{data?.body ?? '-'}</p>
    }
    const view = render(<StrictMode><Provider store={store}><Note /></Provider></StrictMode>)
    await act(() => waitFor(store, (s) => replica.selectors.note.selectById(s, 5) !== undefined))
    expect(screen.getByTestId('note').textContent).toBe('note 5')
    view.unmount()
    await act(() => waitFor(store, (s) => replica.selectors.note.selectById(s, 5) === undefined))
    await close()
  })
})
