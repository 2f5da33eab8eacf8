import { useVirtualizer } from '@tanstack/react-virtual'
import { useDeferredValue, useMemo, useRef, useState } from 'react'
import { NewNote } from './NewNote'
import { NoteRow } from './NoteRow'
import { SyncProgress } from './SyncProgress'
import { count, formatNumber, newestFirst, readableDate } from './format'
import { useSubscription } from './replica'
import type { Note } from './replica'

const ROW_HEIGHT = 68

/** A project's notes: all of them, newest first, in a virtual list; searched in memory. */
export function NoteList({ projectId, openNote, onOpen }: { projectId: number; openNote?: Note['id']; onOpen(id: Note['id']): void }) {
  const notes = useSubscription('note', { project_id: projectId })
  const contacts = useSubscription('contact', { project_id: projectId })
  const [query, setQuery] = useState('')
  const search = useDeferredValue(query.trim().toLowerCase())

  const contactNames = useMemo(() => new Map(contacts.data.map((contact) => [contact.id, contact.name])), [contacts.data])
  const sorted = useMemo(() => [...notes.data].sort(newestFirst), [notes.data])
  // Over the notes held here, in memory: a note matches by its text or its contact's name.
  const shown = useMemo(() => {
    if (!search) return sorted
    return sorted.filter((note) => note.body.toLowerCase().includes(search) || (contactNames.get(note.contact_id ?? -1) ?? '').toLowerCase().includes(search))
  }, [sorted, search, contactNames])

  const scroller = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (index) => String(shown[index]!.id),
    overscan: 8,
  })

  return (
    <main className="notes" aria-labelledby="notes-title">
      <div className="notes-head">
        <h2 id="notes-title">Project {projectId}</h2>
        <p className="muted" data-testid="counts">
          {count(notes.data.length, 'note')} · {count(contacts.data.length, 'contact')}
        </p>
        {notes.lastSyncedAt && <p className="muted small">Last synced {readableDate(notes.lastSyncedAt)}</p>}
      </div>
      <SyncProgress label="notes" sync={notes} />
      <SyncProgress label="contacts" sync={contacts} />
      <NewNote projectId={projectId} />
      <div className="search">
        <div className="search-label">
          <label htmlFor="search">Search notes</label>
          <span className="muted small" aria-live="polite" data-testid="matches">
            {search ? `${formatNumber(shown.length)} of ${count(notes.data.length, 'note')} match` : ''}
          </span>
        </div>
        <input id="search" type="search" value={query} onChange={(event) => setQuery(event.target.value)} placeholder="Text or contact name" autoComplete="off" />
      </div>
      <div className="list" ref={scroller} tabIndex={-1}>
        {shown.length === 0 && <p className="empty">{search ? 'No note matches.' : notes.status === 'synced' ? 'No notes yet: write the first one above.' : 'Loading notes…'}</p>}
        <ul style={{ height: virtualizer.getTotalSize() }} aria-label={`Notes of project ${projectId}`}>
          {virtualizer.getVirtualItems().map((item) => {
            const note = shown[item.index]!
            return (
              <NoteRow
                key={item.key}
                note={note}
                contact={note.contact_id === null ? undefined : contactNames.get(note.contact_id)}
                open={note.id === openNote}
                onOpen={onOpen}
                top={item.start}
                height={ROW_HEIGHT}
                position={item.index + 1}
                setSize={shown.length}
              />
            )
          })}
        </ul>
      </div>
    </main>
  )
}
