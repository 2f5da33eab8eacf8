import type { Transport } from '../../src'
import type { PullRequest, PullResult, PushResponseBody, WireMutation } from '../../src/protocol'

export interface Note { id: number; project_id: number; body: string; _version: number }

/**
 * An in-process server for the hooks' tests: 30 notes in projects 1..3, paged by version. It
 * counts first pulls (sync loops started) and pulls in all, and logs the mutation ids pushed; pushes wait until `releasePushes()`,
 * and a row whose body is `'refuse me'` is rejected as `forbidden`.
 */
export function notesServer() {
  const notes: Note[] = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, project_id: (i % 3) + 1, body: `note ${i + 1}`, _version: i + 1 }))
  let version = notes.length
  const firstPulls: string[] = []
  // Mutation ids of each push, as it arrives (before it waits for releasePushes).
  const pushed: string[][] = []
  let pulls = 0
  let release: () => void = () => {}
  let released = new Promise<void>((resolve) => (release = resolve))
  const answer = (m: WireMutation): PushResponseBody['results'][number] => {
    if (m.row?.body === 'refuse me') return { id: m.id, status: 'rejected', error: { code: 'forbidden', message: 'not this body' } }
    const index = notes.findIndex((n) => n.id === m.key)
    if (m.op === 'delete') {
      if (index >= 0) notes.splice(index, 1)
      return { id: m.id, status: 'applied', row: null, version: ++version }
    }
    const row = { ...(m.row as Omit<Note, '_version'>), _version: ++version }
    if (index >= 0) notes[index] = row
    else notes.push(row)
    const { _version, ...wire } = row
    return { id: m.id, status: 'applied', row: wire, version: _version }
  }
  const transport: Transport & { push(request: { mutations: WireMutation[] }): Promise<PushResponseBody> } = {
    async pull({ filter, checkpoint, limit }: PullRequest): Promise<PullResult> {
      pulls++
      if (checkpoint === null) firstPulls.push(JSON.stringify(filter))
      const after = typeof checkpoint === 'number' ? checkpoint : 0
      const rows = notes.filter((n) => n._version > after && (filter.project_id === undefined || n.project_id === filter.project_id))
      const page = rows.slice(0, limit)
      return {
        changes: page.map((row) => ({ key: row.id, version: row._version, deleted: false, row: { ...row } })),
        checkpoint: page.at(-1)?._version ?? after,
        hasMore: rows.length > limit,
      }
    },
    async push({ mutations }) {
      pushed.push(mutations.map((m) => m.id))
      await released
      return { results: mutations.map(answer) }
    },
  }
  return {
    transport,
    firstPulls,
    pushed,
    pulls: () => pulls,
    /** Adds a note on the server, as another client would. */
    add(note: Omit<Note, '_version'>) {
      notes.push({ ...note, _version: ++version })
    },
    releasePushes() {
      release()
    },
    holdPushes() {
      released = new Promise<void>((resolve) => (release = resolve))
    },
  }
}
