import { useState } from 'react'
import { ConnectionBadge } from './ConnectionBadge'
import { NoteList } from './NoteList'
import { NoteView } from './NoteView'
import { ProjectNav } from './ProjectNav'
import { SyncStatus } from './SyncStatus'
import type { Note } from './replica'
import { WriteMarksProvider } from './writeMarks'

/** The notes app: projects at the side (a menu on phones), the project's notes, one note opened. */
export function App() {
  const [projectId, setProjectId] = useState(1)
  const [openNote, setOpenNote] = useState<Note['id']>()
  const [menuOpen, setMenuOpen] = useState(false)
  const chooseProject = (id: number) => {
    setProjectId(id)
    setOpenNote(undefined)
    setMenuOpen(false)
  }
  return (
    <WriteMarksProvider>
      <div className="app">
        <header className="topbar">
          <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="projects" onClick={() => setMenuOpen(!menuOpen)}>
            Projects
          </button>
          <h1>Notes</h1>
          <ConnectionBadge />
        </header>
        <SyncStatus />
        <div className={`layout${openNote === undefined ? '' : ' with-note'}`}>
          <ProjectNav id="projects" open={menuOpen} current={projectId} onChoose={chooseProject} />
          <NoteList projectId={projectId} openNote={openNote} onOpen={setOpenNote} />
          {openNote !== undefined && <NoteView key={String(openNote)} id={openNote} onClose={() => setOpenNote(undefined)} />}
        </div>
      </div>
    </WriteMarksProvider>
  )
}
