import { useMemo, useState } from 'react'
import type { FormEvent } from 'react'
import { useDispatch, useSelector } from 'react-redux'
import type { AppStore } from './store'

/** Where a subscription stands, in words a person reads. */
function Status({ label, status, received, remaining, error }: { label: string; status: string; received: number; remaining?: number; error?: { message?: string } }) {
  return (
    <div className="status" data-testid={`status-${label}`}>
      {label}: <b>{status}</b>, {received} received{remaining ? `, ${remaining} to go` : ''}
      {error ? ` (${error.message})` : ''}
    </div>
  )
}

export function App({ app }: { app: AppStore }) {
  const { replica, useSubscription } = app
  const [projectId, setProjectId] = useState(1)
  const projects = useSubscription('project')
  const notes = useSubscription('note', { project_id: projectId })
  const contacts = useSubscription('contact', { project_id: projectId })
  const hydration = useSelector(replica.selectors.selectHydration)
  // One tab writes IndexedDB (the leader); the others follow and take over when it closes.
  const storage = useSelector(replica.selectors.selectStorage)
  const pending = useSelector((state: never) => replica.selectors.selectPendingWrites(state, 'note'))
  const dispatch = useDispatch()
  const [draft, setDraft] = useState('')
  const addNote = (event: FormEvent) => {
    event.preventDefault()
    if (!draft.trim()) return
    // The server's ids are integers: a client-made one from the clock, unique enough for a demo.
    const id = Date.now() * 1000 + Math.floor(Math.random() * 1000)
    const now = new Date().toISOString().replace('Z', '000Z')
    dispatch(replica.actions.save({ collection: 'note', row: { id, project_id: projectId, contact_id: 1, body: draft.trim(), created_at: now, updated_at: now } }))
    setDraft('')
  }
  // Newest first; the selector's own order is unspecified.
  const shown = useMemo(() => [...notes.data].sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1)).slice(0, 50), [notes.data])

  return (
    <>
      <header>
        <h1>Notes</h1>
        <span data-testid="hydration">local data: {hydration.status}</span>
        <span data-testid="pending">{pending} to push</span>
        <span data-testid="role">{storage.role === 'follower' ? 'another tab saves' : storage.role === 'leader' ? 'this tab saves' : ''}</span>
      </header>
      <main>
        <nav>
          {projects.data.map((project) => (
            <button key={project.id} aria-pressed={project.id === projectId} onClick={() => setProjectId(project.id)}>
              {project.name}
            </button>
          ))}
        </nav>
        <section>
          <Status label="notes" {...notes} />
          <Status label="contacts" {...contacts} />
          <form onSubmit={addNote}>
            <input data-testid="draft" value={draft} onChange={(event) => setDraft(event.target.value)} placeholder="A new note" />
            <button type="submit">Add</button>
          </form>
          <h2 data-testid="counts">
            {notes.data.length} notes, {contacts.data.length} contacts
          </h2>
          <ul>
            {shown.map((note) => (
              <li key={note.id}>
                #{note.id} {note.body} <small>{note.updated_at}</small>
              </li>
            ))}
          </ul>
        </section>
      </main>
    </>
  )
}
