import { useSyncExternalStore } from 'react'
import { createOnlineManager } from '../../../src'
import type { ReplicaEvent } from '../../../src'

/** `connecting` until the server first answers. */
export type Connection = 'connecting' | 'online' | 'offline'

/**
 * The app's view of its link to the server, from the newest evidence of two kinds: the network
 * (the browser's `online`/`offline` events, and requests that got no answer at all, through the
 * replica's online manager) and the server (a page, a caught-up pull or the live channel opening
 * says it answers; a pull waiting for the network or the channel cut says it does not). Either
 * saying no is offline, at once: the replica's own status changes only when a subscription next
 * pulls, which may be a poll 30 s away.
 *
 * @example
 * const connection = createConnection()
 * createReplica({ ..., onlineManager: connection.onlineManager, onEvent: connection.onEvent })
 */
export function createConnection() {
  const onlineManager = createOnlineManager()
  let network = onlineManager.isOnline()
  let server: boolean | undefined
  let state: Connection = 'connecting'
  const listeners = new Set<() => void>()
  const update = () => {
    const next: Connection = !network || server === false ? 'offline' : server ? 'online' : 'connecting'
    if (next === state) return
    state = next
    for (const listener of [...listeners]) listener()
  }
  onlineManager.subscribe((online) => {
    network = online
    update()
  })
  update()
  return {
    onlineManager,
    onEvent(event: ReplicaEvent) {
      if (event.type === 'pageApplied' || event.type === 'synced' || (event.type === 'channel' && event.state === 'open')) server = true
      else if (event.type === 'offline' || (event.type === 'channel' && event.state === 'failed' && unreachable(event.error?.code))) server = false
      else return
      update()
    },
    subscribe(listener: () => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    get: () => state,
  }
}

/** A channel that failed with no HTTP answer (a refused connection, a stream cut): no server there. */
const unreachable = (code: string | undefined) => code === undefined || code === 'network'

/** The connection, re-rendering on change. */
export function useConnection(connection: ReturnType<typeof createConnection>): Connection {
  return useSyncExternalStore(connection.subscribe, connection.get)
}
