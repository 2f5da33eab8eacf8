import { useRef } from 'react'
import { formatNumber } from './format'

interface Sync {
  status: string
  received: number
  remaining?: number
}

/**
 * A progress bar while a subscription catches up: the changes received in this catch-up, out of
 * those plus the ones the server says remain. Without a count from the server (it counts on a
 * first sync) the bar shows no value, never a guess.
 */
export function SyncProgress({ label, sync }: { label: string; sync: Sync }) {
  // `received` counts since the subscription was first stored: measure from where this catch-up began.
  const start = useRef(sync.received)
  if (sync.status !== 'syncing') {
    start.current = sync.received
    return null
  }
  const done = Math.max(0, sync.received - start.current)
  const total = sync.remaining ? done + sync.remaining : undefined
  const text = total === undefined ? `${formatNumber(done)} received` : `${formatNumber(done)} of ${formatNumber(total)}`
  return (
    <div className="progress">
      <span id={`progress-${label}`}>Syncing {label}: {text}</span>
      <div
        role="progressbar"
        aria-labelledby={`progress-${label}`}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={total === undefined ? undefined : done}
        data-testid={`progress-${label}`}
      >
        <div className="progress-fill" style={{ width: total ? `${(100 * done) / total}%` : '30%' }} />
      </div>
    </div>
  )
}
