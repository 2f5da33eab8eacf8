import { useConnection } from './connection'
import { connection, useSyncState } from './replica'

const LABELS = { connecting: 'Connecting…', online: 'Online', offline: 'Offline' }

/** Online or offline, from the newest evidence; offline too while the replica finds no server. */
export function ConnectionBadge() {
  const evidence = useConnection(connection)
  const { online } = useSyncState()
  const state = evidence === 'offline' || !online ? 'offline' : evidence
  return (
    <span className={`badge badge-${state}`} data-testid="connection" title={state === 'offline' ? 'The server cannot be reached: notes saved on this device are shown, and changes wait to be sent.' : undefined}>
      {LABELS[state]}
    </span>
  )
}
