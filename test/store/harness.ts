import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createReplica, httpTransport } from '../../src'
import type { Persistence } from '../../src'
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

/**
 * One run of an app: a replica of `note` over the loopback server, its requests tagged with
 * `run` (the server logs it), persisted as given, in a real store with RTK's checks on.
 */
export function startApp(server: LoopbackServer, persistence: Persistence, run: string, options: { saveInterval?: number; pageSize?: number; unchecked?: string[] } = {}) {
  const replica = createReplica({
    collections: { note: {} },
    transport: httpTransport({ url: server.url, headers: { 'x-run': run } }),
    persistence,
    pageSize: options.pageSize ?? 250,
    ...(options.saveInterval === undefined ? {} : { saveInterval: options.saveInterval }),
  })
  const store = makeStore(replica, undefined, options.unchecked)
  const selectors = replica.selectors
  return {
    replica,
    store,
    /** Subscribes to every note and waits until the pull has caught up. */
    async syncNotes() {
      store.dispatch(replica.actions.subscribe(NOTES))
      return waitFor(store, (s) => selectors.selectSubscription(s, NOTES).status === 'synced')
    },
    notesInRedux: () => [...selectors.note.selectAll(store.getState())].sort((a, b) => (a.id as number) - (b.id as number)),
    pullsOf: () => server.log.filter((pull) => pull.run === run),
  }
}
