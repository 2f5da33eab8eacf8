import type { Database } from 'better-sqlite3'
import { isoMicros } from './timestamp.js'
import type { CollectionsConfig } from './types.js'

/**
 * The 2015 example app's data (1 project, 1,000 contacts, 10,000 notes), generated
 * deterministically, for the example server, tests and benchmarks. Timestamps carry microseconds,
 * and exactly `rowsPerTimestamp` rows share each one (more than a 250-row page by default), with
 * pairs of timestamps inside the same millisecond: a cursor cut to milliseconds gets stuck or skips.
 */
export interface ExampleDataOptions {
  /** Projects; contacts and notes are spread over them round-robin. @default 1 @example { projects: 5 } */
  projects?: number
  /** @default 1000 @example { contacts: 50 } */
  contacts?: number
  /** @default 10000 @example { notes: 100_000 } */
  notes?: number
  /** Rows that share each updated_at. @default 300 @example { rowsPerTimestamp: 1500 } */
  rowsPerTimestamp?: number
  /** PRNG seed: the same options give the same rows. @default 2015 @example { seed: 7 } */
  seed?: number
}

export interface ExampleProject { id: number; name: string; created_at: string; updated_at: string }
export interface ExampleContact { id: number; project_id: number; name: string; email: string; created_at: string; updated_at: string }
export interface ExampleNote { id: number; project_id: number; contact_id: number; body: string; created_at: string; updated_at: string }

/** The collections of the example app, as a handler's `collections` option. */
export const exampleCollections = {
  project: { table: 'projects', filterable: ['id'] },
  contact: { table: 'contacts', filterable: ['project_id'] },
  note: { table: 'notes', filterable: ['project_id', 'contact_id'] },
} as const satisfies CollectionsConfig

const BASE_MICROS = Date.UTC(2015, 2, 19, 20, 14, 25) * 1000

/** The k-th shared timestamp: two per millisecond, 123 µs and 580 µs past it. */
export const exampleTimestamp = (k: number) => isoMicros(BASE_MICROS + Math.floor(k / 2) * 1000 + (k % 2 ? 580 : 123))

function mulberry32(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Timestamps for ids 1..n: a shuffled order, cut into runs of `per` rows that share one timestamp. */
function timestamps(n: number, per: number, rand: () => number, offset: number): string[] {
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  const out = new Array<string>(n)
  order.forEach((id, rank) => (out[id] = exampleTimestamp(offset + Math.floor(rank / per))))
  return out
}

export function exampleData(options: ExampleDataOptions = {}) {
  const P = options.projects ?? 1
  const C = options.contacts ?? 1000
  const N = options.notes ?? 10_000
  const per = options.rowsPerTimestamp ?? 300
  const rand = mulberry32(options.seed ?? 2015)
  const created = exampleTimestamp(0)
  const projects: ExampleProject[] = Array.from({ length: P }, (_, i) => ({
    id: i + 1,
    name: `Project ${i + 1}`,
    created_at: created,
    updated_at: exampleTimestamp(i),
  }))
  const cts = timestamps(C, per, rand, 10)
  const contacts: ExampleContact[] = Array.from({ length: C }, (_, i) => ({
    id: i + 1,
    project_id: (i % P) + 1,
    name: `Contact ${i + 1}`,
    email: `contact${i + 1}@example.com`,
    created_at: created,
    updated_at: cts[i]!,
  }))
  const nts = timestamps(N, per, rand, 10 + Math.ceil(C / per))
  const notes: ExampleNote[] = Array.from({ length: N }, (_, i) => ({
    id: i + 1,
    project_id: (i % P) + 1,
    contact_id: Math.floor(rand() * C) + 1,
    body: `Note ${i + 1}: ${rand().toString(36).slice(2, 10)}`,
    created_at: created,
    updated_at: nts[i]!,
  }))
  return { projects, contacts, notes }
}

const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, name TEXT NOT NULL, email TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, contact_id INTEGER, body TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);`

/** The example tables for PostgreSQL (`$S` is the quoted schema name). */
export const examplePostgresSchema = (schema: string) => {
  const S = `"${schema.replaceAll('"', '""')}"`
  return `
CREATE TABLE IF NOT EXISTS ${S}.projects (id integer PRIMARY KEY, name text NOT NULL, created_at text NOT NULL, updated_at text NOT NULL);
CREATE TABLE IF NOT EXISTS ${S}.contacts (id integer PRIMARY KEY, project_id integer NOT NULL, name text NOT NULL, email text,
  created_at text NOT NULL, updated_at text NOT NULL);
CREATE TABLE IF NOT EXISTS ${S}.notes (id integer PRIMARY KEY, project_id integer NOT NULL, contact_id integer, body text NOT NULL,
  created_at text NOT NULL, updated_at text NOT NULL);`
}

/**
 * Create the example tables in a SQLite database and fill them, unless `projects` already has rows.
 * Returns how many rows it inserted of each. Run it before or after the handler's `ready()`: rows
 * written before the triggers exist get version 0, rows written after get their own versions.
 *
 * @example
 * const db = new Database('./data/replica-example.db')
 * seedExampleData(db) // { projects: 1, contacts: 1000, notes: 10000 }
 */
export function seedExampleData(db: Database, options: ExampleDataOptions = {}) {
  db.exec(SQLITE_SCHEMA)
  const has = db.prepare('SELECT count(*) FROM projects').pluck().get() as number
  if (has > 0) return { projects: 0, contacts: 0, notes: 0 }
  const data = exampleData(options)
  const insert = (table: string, rows: object[]) => {
    if (rows.length === 0) return
    const cols = Object.keys(rows[0]!)
    const st = db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`)
    for (const r of rows) st.run(r)
  }
  db.transaction(() => {
    insert('projects', data.projects)
    insert('contacts', data.contacts)
    insert('notes', data.notes)
  })()
  return { projects: data.projects.length, contacts: data.contacts.length, notes: data.notes.length }
}

/** A pg client or pool: anything with `query(text, values)`. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<unknown>
}

/**
 * The PostgreSQL twin of {@link seedExampleData}: create the example tables in `schema` and fill them.
 * @example await seedExampleDataPostgres(pool, 'public', { notes: 20_000, projects: 3 })
 */
export async function seedExampleDataPostgres(pg: PgQueryable, schema: string, options: ExampleDataOptions = {}) {
  await pg.query(examplePostgresSchema(schema))
  const data = exampleData(options)
  const S = `"${schema.replaceAll('"', '""')}"`
  for (const [table, rows] of [['projects', data.projects], ['contacts', data.contacts], ['notes', data.notes]] as const) {
    if (rows.length === 0) continue
    // Explicit columns: after the replica install the table also has _version and _deleted.
    const cols = Object.keys(rows[0]!).join(', ')
    for (let i = 0; i < rows.length; i += 5000) {
      await pg.query(`INSERT INTO ${S}.${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${S}.${table}, $1)`, [
        JSON.stringify(rows.slice(i, i + 5000)),
      ])
    }
  }
  return { projects: data.projects.length, contacts: data.contacts.length, notes: data.notes.length }
}
