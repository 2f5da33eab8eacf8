import { rmSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Middleware } from '@reduxjs/toolkit'
import { createFocusManager, filePersistence, httpTransport } from '../../src'
import type { Transport } from '../../src'
import type { PullResponseBody } from '../../src/core/protocol'
import { replicaStore, when, whenSynced } from '../lib/replicaStore'
import { median } from '../lib/stats'
import { FILTER, pullUrl, touch } from './http'

export interface LiveUpdateResult {
  /** From asking for a pull to the changed row in Redux (median of samples). */
  endToEndMs: number
  /** From asking for a pull to the loop being done with it (`syncSucceeded`: after its save). */
  settledMs: number
  /** One bare round trip to the same endpoint: fetch + JSON.parse of a one-row page (median). */
  roundTripMs: number
  /** The pageApplied dispatch that carried the row: reducer + listeners (median). */
  dispatchMs: number
  /** Longest the event loop was blocked while the samples ran, and their save after them. */
  maxBlockedMs: number
  samples: number
}

const SAMPLES = 21
/** Updates are spaced out, as live changes are: each sample starts with the client idle. */
const SPACING_MS = 20

/**
 * One row changed on the server while the client holds n rows, until it is in Redux. The pull is
 * triggered the way the live-sync layer does on a focus event (a server poke would do the same):
 * the synced subscription pulls after its stored cursor at once. The polling delay is not
 * measured; it is whatever the app sets.
 */
export async function liveUpdate(url: string, file: string, n: number): Promise<LiveUpdateResult> {
  const dispatchTimes: number[] = []
  let onSucceeded = () => {}
  const timing: Middleware = () => (next) => (action) => {
    const start = performance.now()
    const result = next(action)
    const { type } = action as { type: string }
    if (type === 'replica/pageApplied') dispatchTimes.push(performance.now() - start)
    else if (type === 'replica/syncSucceeded') onSucceeded()
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
  // Focus coming back pulls at once (the live-sync layer's trigger, as a server poke would be).
  const focusManager = createFocusManager({ setEventListener: () => undefined })
  rmSync(file, { force: true })
  const rs = replicaStore(transport, { persistence: filePersistence(file), outer: [timing], focusManager })
  const { store, replica } = rs
  await store.replica.whenHydrated()
  const scope = { collection: 'note', filter: FILTER }
  const synced = whenSynced(rs, scope)
  store.dispatch(replica.actions.subscribe(scope))
  await synced
  await store.replica.flush()
  if (replica.selectors.note.selectTotal(store.getState()) < n) throw new Error('not all rows synced')

  const endToEnd: number[] = []
  const settled: number[] = []
  const applied: number[] = []
  const blocked = monitorEventLoopDelay({ resolution: 1 })
  for (let i = 0; i < SAMPLES + 2; i++) {
    const id = 1 + ((i * 7919) % n)
    await new Promise((resolve) => setTimeout(resolve, SPACING_MS))
    const { body } = await touch(url, id)
    const arrived = when(store, () => replica.selectors.note.selectById(store.getState(), id)?.body === body)
    const done = new Promise<number>((resolve) => (onSucceeded = () => resolve(performance.now())))
    dispatchTimes.length = 0
    // The first two warm up the path (JIT, keep-alive socket).
    if (i === 2) blocked.enable()
    const start = performance.now()
    focusManager.setFocused(false)
    focusManager.setFocused(true)
    const at = await arrived
    const doneAt = await done
    if (i >= 2) {
      endToEnd.push(at - start)
      settled.push(doneAt - start)
      applied.push(...dispatchTimes.slice(0, 1))
    }
  }
  // The save that follows the last change is part of "after a live update": make it now, watched.
  await store.replica.flush()
  blocked.disable()

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
  return {
    endToEndMs: median(endToEnd), settledMs: median(settled), roundTripMs: median(trips), dispatchMs: median(applied),
    maxBlockedMs: blocked.max / 1e6, samples: SAMPLES,
  }
}
