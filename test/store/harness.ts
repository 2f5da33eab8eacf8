import type { UnknownAction } from '@reduxjs/toolkit'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createReplica, httpTransport } from '../../src'
import type { CollectionConfig, Persistence, ReplicaOptions } from '../../src'
import type { LoopbackServer } from '../fixtures/loopbackServer'
import { makeStore, waitFor } from '../fixtures/store'

export const NOTES = { collection: 'note', filter: {} }

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'replica-store-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** `count` notes of project 1 with ids 1..count. */
export function notes(count: number, from = 1) {
  return Array.from({ length: count }, (_, i) => ({ id: from + i, project_id: 1, body: `Note ${from + i}` }))
}

/** Options of one run of the app; without `timers`, real time. */
export interface AppOptions extends Pick<ReplicaOptions<{ note: CollectionConfig }, 'replica'>, 'keepUnusedDataFor' | 'timers' | 'now' | 'pollingInterval' | 'push'> {
  saveInterval?: number
  pageSize?: number
  /** The note collection's `maxRows`. */
  maxRows?: number
  /** State paths RTK's dev checks skip (see makeStore). */
  unchecked?: string[]
}

/**
 * One run of an app: a replica of `note` over the loopback server, its requests tagged with
 * `run` (the server logs it), persisted as given, in a real store with RTK's checks on.
 */
export function startApp(server: LoopbackServer, persistence: Persistence, run: string, options: AppOptions = {}) {
  const { saveInterval, pageSize = 250, maxRows, unchecked, ...rest } = options
  const replica = createReplica({
    collections: { note: maxRows === undefined ? {} : { maxRows } },
    transport: httpTransport({ url: server.url, headers: { 'x-run': run } }),
    persistence,
    pageSize,
    ...(saveInterval === undefined ? {} : { saveInterval }),
    ...rest,
  })
  const actions: UnknownAction[] = []
  const store = makeStore(replica, actions, unchecked)
  const selectors = replica.selectors
  return {
    replica,
    store,
    /** Every action that reached the reducers. */
    actions,
    /** Subscribes to every note and waits until the pull has caught up. */
    async syncNotes() {
      store.dispatch(replica.actions.subscribe(NOTES))
      return waitFor(store, (s) => selectors.selectSubscription(s, NOTES).status === 'synced')
    },
    notesInRedux: () => [...selectors.note.selectAll(store.getState())].sort((a, b) => (a.id as number) - (b.id as number)),
    pullsOf: () => server.log.filter((pull) => pull.run === run),
  }
}
