// Server rendering runs no effects: the hooks render what the store holds and subscribe nothing.
import { renderToString } from 'react-dom/server'
import { StrictMode } from 'react'
import { Provider } from 'react-redux'
import { describe, expect, it } from 'vitest'
import { hooksSetup } from './hooksSetup'

describe('server rendering', () => {
  it('renderToString with every hook dispatches no subscribe and starts no pull', async () => {
    const { store, replica, hooks, subscribes, server, actions, close } = hooksSetup()
    await store.replica.whenHydrated()
    // A row already in the store (as a server would preload it) is rendered.
    store.dispatch(replica.internalActions.hydrateCollection({ collection: 'note', rows: [{ id: 1, project_id: 1, body: 'preloaded', _version: 1 }] }))
    function Page() {
      const { data } = hooks.useSubscription('note', { project_id: 1 }, { pollingInterval: 1_000 })
      const row = hooks.useRow('note', 1, { subscribe: { id: 1 } })
      const sync = hooks.useSyncState()
      hooks.useSave()
      hooks.useRemove()
      const write = hooks.useWriteStatus({ collection: 'note', key: 1 })
      return <p>{`${data.length} ${row.data?.body} ${sync.status} ${write.pending}`}</p>
    }
    const before = actions.length
    const html = renderToString(<StrictMode><Provider store={store}><Page /></Provider></StrictMode>)
    expect(html).toBe('<p>1 preloaded idle false</p>')
    expect(subscribes()).toEqual([])
    expect(actions.length).toBe(before)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(server.firstPulls).toEqual([])
    await close()
  })
})
