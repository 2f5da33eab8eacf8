import { useEffect, useRef, useState } from 'react'
import type { FormEvent } from 'react'
import { skipToken } from '../../../src/react'
import { readableDate } from './format'
import { useDispatch } from 'react-redux'
import { replica, useRemove, useRow, useSave } from './replica'
import type { Note } from './replica'
import { useWriteMark, WriteMarker } from './writeMarks'

/** A note's first line, cut to a heading's length. */
const title = (body: string) => {
  const line = body.split('\n')[0]!.trim()
  return line.length > 60 ? `${line.slice(0, 59)}…` : line || 'Note'
}

/** One note, opened: read it, change its text, or delete it. Each change shows at once and is sent when it can be. */
export function NoteView({ id, onClose }: { id: Note['id']; onClose(): void }) {
  const { data: note } = useRow('note', id)
  const contact = useRow('contact', note?.contact_id ?? skipToken).data
  const save = useSave()
  const remove = useRemove()
  const mark = useWriteMark(id)
  const dispatch = useDispatch()
  const [draft, setDraft] = useState(note?.body ?? '')
  const [confirming, setConfirming] = useState(false)
  const heading = useRef<HTMLHeadingElement>(null)
  // Move the reader to the note when it opens (on a phone it replaces the list).
  useEffect(() => heading.current?.focus(), [])

  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (note && draft.trim() && draft !== note.body) save('note', id, { body: draft })
  }
  const deleteNote = () => {
    remove('note', id)
    onClose()
  }

  return (
    <section className="note-view" aria-labelledby="note-title">
      <button type="button" className="link" onClick={onClose}>
        <span aria-hidden="true">← </span>All notes
      </button>
      <h2 id="note-title" ref={heading} tabIndex={-1}>
        {note ? title(note.body) : 'Note'}
      </h2>
      {!note ? (
        <p>This note is not on this device any more: it was deleted.</p>
      ) : (
        <>
          <dl className="note-facts">
            <dt>Contact</dt>
            <dd>{contact?.name ?? 'No contact'}</dd>
            <dt>Written</dt>
            <dd>{readableDate(note.created_at)}</dd>
            <dt>Changed</dt>
            <dd>{readableDate(note.updated_at)}</dd>
          </dl>
          <form onSubmit={submit}>
            <label htmlFor="note-body">Text</label>
            <textarea id="note-body" rows={6} value={draft} onChange={(event) => setDraft(event.target.value)} />
            <div className="actions">
              <button type="submit" disabled={!draft.trim() || draft === note.body}>
                Save
              </button>
              {confirming ? (
                <span className="confirm">
                  Delete this note?{' '}
                  <button type="button" className="danger" onClick={deleteNote}>
                    Yes, delete
                  </button>{' '}
                  <button type="button" onClick={() => setConfirming(false)}>
                    Keep it
                  </button>
                </span>
              ) : (
                <button type="button" className="danger" onClick={() => setConfirming(true)}>
                  Delete
                </button>
              )}
            </div>
          </form>
          <p className="note-status small" aria-live="polite">
            <WriteMarker mark={mark} />
            {mark?.kind === 'rejected' && (
              <button type="button" onClick={() => dispatch(replica.actions.dismissRejectedWrite({ id: mark.id }))}>
                Dismiss
              </button>
            )}
          </p>
        </>
      )}
    </section>
  )
}
