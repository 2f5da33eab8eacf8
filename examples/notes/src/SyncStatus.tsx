import { useSelector } from 'react-redux'
import { useConnection } from './connection'
import { count } from './format'
import { connection, replica, useSyncState } from './replica'

/** One line under the top bar, read out by screen readers as it changes: what the app is doing. */
export function SyncStatus() {
  const hydration = useSelector(replica.selectors.selectHydration)
  const { online, status, pendingWrites, storage } = useSyncState()
  const offline = useConnection(connection) === 'offline' || !online
  const waiting = pendingWrites === 0 ? '' : `${count(pendingWrites, 'change')} not sent yet`
  let line: string
  if (hydration.status === 'failed') line = `The notes saved on this device could not be opened (${hydration.error?.message ?? 'unknown error'}): syncing them again.`
  else if (hydration.status !== 'hydrated') line = 'Opening the notes saved on this device…'
  else if (offline) line = `Offline: showing the notes saved on this device.${pendingWrites ? ` ${count(pendingWrites, 'change')} will be sent when the server is back.` : ''}`
  else if (status === 'error') line = `The server answered with an error: syncing will be tried again.${waiting ? ` ${waiting}.` : ''}`
  else if (status === 'syncing') line = `Syncing with the server…${waiting ? ` ${waiting}.` : ''}`
  else if (waiting) line = `Sending: ${waiting}.`
  else line = 'Up to date. All changes are saved on the server.'
  return (
    <div className="status-line" role="status" aria-live="polite">
      <span data-testid="sync-status">{line}</span>
      {storage === 'failing' && <span className="warning"> This device's storage is not saving: your changes are kept while this tab stays open.</span>}
    </div>
  )
}
