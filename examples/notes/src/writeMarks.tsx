import { createContext, useContext, useEffect, useRef } from 'react'
import type { ReactNode } from 'react'
import type { Key } from '../../../src'
import { useWriteStatus } from './replica'

/** What a note's marker says: waiting for the server, taken by it, or refused (with the reason). */
export type WriteMark = { kind: 'pending' } | { kind: 'saved' } | { kind: 'rejected'; reason: string; id: string } | undefined

// Notes seen waiting to be sent in this tab: once nothing waits, they show "saved".
const Waited = createContext<Set<string> | null>(null)

export function WriteMarksProvider({ children }: { children: ReactNode }) {
  const waited = useRef(new Set<string>())
  return <Waited.Provider value={waited.current}>{children}</Waited.Provider>
}

/** The marker of a note: pending while writes of it wait, saved once they were taken, or rejected. */
export function useWriteMark(key: Key): WriteMark {
  const { pending, rejected } = useWriteStatus({ collection: 'note', key })
  const waited = useContext(Waited)
  useEffect(() => {
    if (pending) waited?.add(String(key))
  }, [pending, key, waited])
  if (rejected) return { kind: 'rejected', reason: rejected.error.message ?? 'refused by the server', id: rejected.id }
  if (pending) return { kind: 'pending' }
  return waited?.has(String(key)) ? { kind: 'saved' } : undefined
}

const LABELS = { pending: 'Not sent yet', saved: 'Saved', rejected: 'Rejected' }

export function WriteMarker({ mark }: { mark: WriteMark }) {
  if (!mark) return null
  return (
    <span className={`mark mark-${mark.kind}`} data-testid="mark">
      {LABELS[mark.kind]}
      {mark.kind === 'rejected' ? `: ${mark.reason}` : ''}
    </span>
  )
}
