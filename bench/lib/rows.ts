/**
 * Rows shaped like the 2015 example app's notes (id, project_id, contact_id, body, updated_at with
 * microseconds), plus our protocol's `_version`. Deterministic, so every run and every contender
 * sees the same bytes.
 */
export interface NoteRow {
  id: number
  project_id: number
  contact_id: number
  body: string
  updated_at: string
  _version: number
  [field: string]: string | number
}

const BASE_MS = Date.UTC(2015, 2, 19, 20, 14, 25)

/** `2015-03-19T20:14:25.000000Z` plus `micros` microseconds, 6 fractional digits as the 2015 server sent. */
export function timestamp(micros: number): string {
  const iso = new Date(BASE_MS + Math.floor(micros / 1000)).toISOString()
  return `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`
}

export function noteRow(i: number, version = i + 1): NoteRow {
  const contact = (i % 1000) + 1
  return {
    id: i + 1,
    project_id: 1,
    contact_id: contact,
    body: `Note ${i + 1} about contact ${contact}`,
    // Runs of 300 rows share one timestamp, as in test/fixtures/exampleData.ts: more than a page.
    updated_at: timestamp(2_000_000 + Math.floor(i / 300) * 13),
    _version: version,
  }
}

export function noteRows(n: number): NoteRow[] {
  return Array.from({ length: n }, (_, i) => noteRow(i))
}

/** Bytes of the rows as JSON: the yardstick for memory figures. */
export function jsonBytes(rows: readonly object[]): number {
  let bytes = 2
  for (const row of rows) bytes += Buffer.byteLength(JSON.stringify(row)) + 1
  return bytes
}
