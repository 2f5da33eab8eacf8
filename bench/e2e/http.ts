/** The notes subscription every contender pulls: project 1's notes (all of them, as seeded). */
export const FILTER = { project_id: 1 }
export const PAGE = 250

/** `GET <url>/replica/pull` for project 1's notes after `cursor`. */
export function pullUrl(url: string, cursor: string | null | undefined, limit = PAGE): string {
  const query = new URLSearchParams({ collection: 'note', filter: JSON.stringify(FILTER), limit: String(limit) })
  if (cursor) query.set('cursor', cursor)
  return `${url}/replica/pull?${query}`
}

/** Changes one note on the server; resolves once the write is committed. */
export async function touch(url: string, id: number): Promise<{ body: string; _version: number }> {
  const response = await fetch(`${url}/bench/touch?id=${id}`, { method: 'POST' })
  if (!response.ok) throw new Error(`touch ${id}: ${response.status} ${await response.text()}`)
  return ((await response.json()) as { row: { body: string; _version: number } }).row
}
