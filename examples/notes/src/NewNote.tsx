import { useState } from 'react'
import type { FormEvent } from 'react'
import { newId } from '../../../src'
import { useSave } from './replica'

/** Writes a note at once, here and on this device; it reaches the server when it can. */
export function NewNote({ projectId }: { projectId: number }) {
  const save = useSave()
  const [draft, setDraft] = useState('')
  const add = (event: FormEvent) => {
    event.preventDefault()
    const body = draft.trim()
    if (!body) return
    const now = new Date().toISOString()
    // A time-ordered id made here: unique without asking the server, so it works offline.
    save('note', { id: newId(), project_id: projectId, contact_id: null, body, created_at: now, updated_at: now })
    setDraft('')
  }
  return (
    <form className="new-note" onSubmit={add}>
      <label htmlFor="new-note">New note</label>
      <div className="row">
        <input id="new-note" value={draft} onChange={(event) => setDraft(event.target.value)} placeholder="Write a note" autoComplete="off" />
        <button type="submit" disabled={!draft.trim()}>
          Add
        </button>
      </div>
    </form>
  )
}
