import { memo } from 'react'
import { readableDate } from './format'
import type { Note } from './replica'
import { useWriteMark, WriteMarker } from './writeMarks'

interface Props {
  note: Note
  contact: string | undefined
  open: boolean
  onOpen(id: Note['id']): void
  /** Where the row sits in the virtual list, px from its top. */
  top: number
  height: number
  /** 1-based position among `setSize` notes, for screen readers (most rows are not in the page). */
  position: number
  setSize: number
}

/** One note in the list: its text, contact and date, and whether its changes reached the server. */
export const NoteRow = memo(function NoteRow({ note, contact, open, onOpen, top, height, position, setSize }: Props) {
  const mark = useWriteMark(note.id)
  return (
    <li style={{ transform: `translateY(${top}px)`, height }} aria-setsize={setSize} aria-posinset={position}>
      <button type="button" className="note-row" aria-current={open ? 'true' : undefined} onClick={() => onOpen(note.id)}>
        <span className="note-body">{note.body}</span>
        <span className="note-meta">
          <span>{contact ?? 'No contact'}</span>
          <span aria-hidden="true"> · </span>
          <span>{readableDate(note.updated_at)}</span>
          <WriteMarker mark={mark} />
        </span>
      </button>
    </li>
  )
})
