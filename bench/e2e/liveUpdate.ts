import type { Middleware } from '@reduxjs/toolkit'
import { filePersistence, httpTransport } from '../../src'
import type { Transport } from '../../src'
import type { PullResponseBody } from '../../src/protocol'
import { replicaStore, when, whenSynced } from '../lib/replicaStore'
import { median } from '../lib/stats'
import { FILTER, pullUrl, touch } from './http'

export interface LiveUpdateResult {
  /** From asking for a pull to the changed row in Redux (median of samples). */
  endToEndMs: number
  /** One bare round trip to the same endpoint: fetch + JSON.parse of a one-row page (median). */
  roundTripMs: number
  /** The pageApplied dispatch that carried the row: reducer + listeners (median). */
  dispatchMs: number
  samples: number
}

const SAMPLES = 21

/**
 * One row changed on the server while the client holds n rows, until it is in Redux. The pull is
 * asked for by re-subscribing (the stored cursor makes it fetch only what is new): what a server
 * poke or a focus event triggers. Polling delay is not measured; it is whatever the app sets.
 */
export async function liveUpdate(url: string, file: string, n: number): Promise<LiveUpdateResult> {
  const dispatchTimes: number[] = []
  const timing: Middleware = () => (next) => (action) => {
    const start = performance.now()
    const result = next(action)
    if ((action as { type: string }).type === 'replica/pageApplied') dispatchTimes.push(performance.now() - start)
    return result
  }
  // Remembers the last checkpoint pulled, so the bare round trip below can ask the same question.
  const http = httpTransport({ url: `${url}/replica` })
  let checkpoint: unknown = null
  const transport: Transport = {
    pull: async (request) => {
      const page = await http.pull(request)
      checkpoint = page.checkpoint
      return page
    },
  }
  const rs = replicaStore(transport, filePersistence(file), [timing])
  const { store, replica } = rs
  await store.replica.whenHydrated()
  const scope = { collection: 'note', filter: FILTER }
  const synced = whenSynced(rs, scope)
  store.dispatch(replica.actions.subscribe(scope))
  await synced
  if (replica.selectors.note.selectTotal(store.getState()) < n) throw new Error('not all rows synced')

  const endToEnd: number[] = []
  const applied: number[] = []
  for (let i = 0; i < SAMPLES + 2; i++) {
    const id = 1 + ((i * 7919) % n)
    const { body } = await touch(url, id)
    const arrived = when(store, () => replica.selectors.note.selectById(store.getState(), id)?.body === body)
    const caughtUp = whenSynced(rs, scope)
    dispatchTimes.length = 0
    const start = performance.now()
    store.dispatch(replica.actions.unsubscribe(scope))
    store.dispatch(replica.actions.subscribe(scope))
    const at = await arrived
    await caughtUp
    // The first two warm up the path (JIT, keep-alive socket).
    if (i >= 2) {
      endToEnd.push(at - start)
      applied.push(...dispatchTimes.slice(0, 1))
    }
  }

  // A bare round trip for comparison: the same one-row page (one more row changed after the
  // client's last checkpoint), fetched and parsed, nothing else.
  await touch(url, 1)
  const trips: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now()
    const page = JSON.parse(await (await fetch(pullUrl(url, checkpoint as string))).text()) as PullResponseBody
    trips.push(performance.now() - start)
    if (page.rows.length !== 1) throw new Error(`expected a one-row page, got ${page.rows.length}`)
  }
  await store.replica.close()
  return { endToEndMs: median(endToEnd), roundTripMs: median(trips), dispatchMs: median(applied), samples: SAMPLES }
}
