import { count } from './format'
import { useSubscription } from './replica'

/** The projects: a sidebar on wide screens, a menu opened from the top bar on phones. */
export function ProjectNav({ id, open, current, onChoose }: { id: string; open: boolean; current: number; onChoose(id: number): void }) {
  const projects = useSubscription('project')
  return (
    <nav id={id} className={`sidebar${open ? ' open' : ''}`} aria-label="Projects">
      <h2>Projects</h2>
      {projects.data.length === 0 && <p className="muted">{projects.status === 'synced' ? 'No projects.' : 'Loading projects…'}</p>}
      <ul>
        {projects.data.map((project) => (
          <li key={project.id}>
            <button type="button" aria-current={project.id === current ? 'page' : undefined} onClick={() => onChoose(project.id)}>
              {project.name}
            </button>
          </li>
        ))}
      </ul>
      <p className="muted small">{count(projects.data.length, 'project')} on this device</p>
    </nav>
  )
}
