import { createHash } from 'node:crypto'
import type { JsonPrimitive } from '../protocol.js'
import type { MutationResult, PushErrorCode, WireMutation } from '../writes/wire.js'
import { ReplicaError, badRequest, preview, tooLarge } from './errors.js'
import { scopeClauses } from './filter.js'
import { json, type Context, type ReplicaAnswer, type ReplicaRequest } from './context.js'
import type { CurrentRow, MutationDecision, MutationPlan } from './push-plan.js'
import { DELETED_COL, VERSION_COL } from './sql.js'
import { nowMicros } from './timestamp.js'
import type { Clause, CollectionsConfig, ColumnKind, TableInfo } from './types.js'

/**
 * `POST <base>/push` (docs/protocol.md, "Push"; docs/writes.md): `{ mutations: [...] }` in, one
 * result per mutation out, in order. Each mutation runs in its own transaction together with its
 * idempotency record, so a resent mutation id is answered from the record and never applied twice.
 *
 * What is refused for the whole request (4xx): a body over `maxPushBytes`, malformed JSON, not an
 * object with a `mutations` array of 1..`maxPushMutations` objects, a mutation without a usable
 * `id` (1-128 printable ASCII characters, unique in the request), and a caller `authorize` does
 * not know (401). Anything else wrong with one mutation rejects that mutation only (`rejected` with
 * a code), and the others go on: a client must never be stuck behind one bad write.
 */

export interface PushLimits {
  /** Largest body, in bytes. */
  maxPushBytes: number
  /** Most mutations in one request. */
  maxPushMutations: number
}

const ID = /^[\x21-\x7e]{1,128}$/
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A refusal of one mutation. */
class Rejection extends Error {
  constructor(
    readonly code: PushErrorCode,
    message: string,
  ) {
    super(message)
  }
}

type ScopeVerdict = { clauses: Clause[] } | { rejection: Rejection }

export async function handlePush(ctx: Context, request: ReplicaRequest, collections: CollectionsConfig, limits: PushLimits): Promise<ReplicaAnswer> {
  const text = await readBody(request, limits.maxPushBytes)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw badRequest('the body is not valid JSON')
  }
  if (!isPlainObject(body) || !Array.isArray(body.mutations)) throw badRequest('the body must be an object with a "mutations" array')
  const mutations = body.mutations as unknown[]
  if (mutations.length === 0) throw badRequest('"mutations" is empty')
  if (mutations.length > limits.maxPushMutations) throw tooLarge(413, `more than ${limits.maxPushMutations} mutations in one request`)
  const ids = new Set<string>()
  for (const [i, m] of mutations.entries()) {
    if (!isPlainObject(m)) throw badRequest(`mutation ${i} is not an object`)
    if (typeof m.id !== 'string' || !ID.test(m.id)) throw badRequest(`mutation ${i} has no valid "id" (1 to 128 printable ASCII characters)`)
    if (ids.has(m.id)) throw badRequest(`mutation id ${JSON.stringify(m.id)} appears twice`)
    ids.add(m.id)
  }

  // authorize runs once per collection named, before the collection is looked up (as for pulls).
  const scopes = new Map<string, ScopeVerdict>()
  for (const m of mutations as Array<Record<string, unknown>>) {
    const collection = m.collection
    if (typeof collection !== 'string' || scopes.has(collection)) continue
    scopes.set(collection, await authorizeWrite(ctx, request, collection))
  }
  const tables = await ctx.tables()

  const results: MutationResult[] = []
  for (const m of mutations as Array<Record<string, unknown> & { id: string }>) {
    try {
      const { table, plan } = planMutation(m, scopes, tables, collections)
      results.push(await ctx.source.applyMutation(table, plan))
    } catch (error) {
      if (!(error instanceof Rejection)) throw error
      results.push({ id: m.id, status: 'rejected', error: { code: error.code, message: error.message } })
    }
  }
  return json(200, JSON.stringify({ results }))
}

async function authorizeWrite(ctx: Context, request: ReplicaRequest, collection: string): Promise<ScopeVerdict> {
  let scope
  try {
    scope = await ctx.authorize(request, { collection })
  } catch (error) {
    // A 401 is about the caller, not this mutation: the whole request is refused, so the client
    // can refresh its credentials and send the same mutations again.
    if (error instanceof ReplicaError && error.status !== 401) return { rejection: new Rejection(error.code, error.message) }
    throw error
  }
  if (scope === null || scope === undefined) throw new ReplicaError(401, 'unauthorized', 'authentication required')
  if (scope === false) return { rejection: new Rejection('forbidden', 'access denied') }
  const table = (await ctx.tables()).get(collection)
  if (!table) return { clauses: [] }
  return { clauses: scopeClauses(scope, table.tracked, collection) }
}

/** Checks one mutation completely, before any SQL, and builds what the source runs. */
function planMutation(
  m: Record<string, unknown> & { id: string },
  scopes: Map<string, ScopeVerdict>,
  tables: Map<string, TableInfo>,
  collections: CollectionsConfig,
): { table: TableInfo; plan: MutationPlan } {
  const { id } = m
  if (typeof m.collection !== 'string') throw new Rejection('bad_mutation', '"collection" must be a string')
  const collection = m.collection
  const verdict = scopes.get(collection)!
  if ('rejection' in verdict) throw verdict.rejection
  const table = tables.get(collection)
  if (!table) throw new Rejection('unknown_collection', `unknown collection ${JSON.stringify(preview(collection))}`)
  const config = collections[collection]!
  const writable = config.writable ?? true
  if (writable === false) throw new Rejection('forbidden', `collection ${JSON.stringify(collection)} is read-only`)
  const op = m.op
  if (op !== 'upsert' && op !== 'delete') throw new Rejection('bad_mutation', '"op" must be "upsert" or "delete"')
  const key = m.key
  const pkKind = table.kinds.get(table.primaryKey) ?? 'any'
  if (!isKey(key, pkKind)) throw new Rejection('bad_mutation', `"key" must be ${pkKind === 'integer' ? 'an integer' : pkKind === 'text' ? 'a non-empty string' : 'a non-empty string or a finite number'}`)
  const baseVersion = m.baseVersion
  if (baseVersion !== null && !(typeof baseVersion === 'number' && Number.isSafeInteger(baseVersion) && baseVersion >= 0)) {
    throw new Rejection('bad_mutation', '"baseVersion" must be null or a non-negative integer')
  }

  let row: Record<string, JsonPrimitive> | undefined
  if (op === 'upsert') {
    row = checkRow(m.row, table, key, writable)
  } else if (m.row !== undefined) {
    throw new Rejection('bad_mutation', 'a delete carries no "row"')
  }
  const clauses = verdict.clauses
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([collection, op, key, baseVersion, m.row === undefined ? null : Object.entries(m.row as object).sort(([a], [b]) => (a < b ? -1 : 1))]))
    .digest('base64url')

  const decide = (current: CurrentRow | null): MutationDecision => {
    const answer = (status: 'conflict', at: CurrentRow | null): MutationDecision => ({
      answer: { id, status, row: at && !at.deleted ? (at.wire as Record<string, JsonPrimitive>) : null, version: at ? at.version : null },
    })
    const rejected = (code: PushErrorCode, message: string): MutationDecision => ({ answer: { id, status: 'rejected', error: { code, message } } })
    // A row outside the caller's scope is neither shown (a conflict would send it) nor touched.
    if (current && !inScope(current.values, clauses)) return rejected('forbidden', 'the row is outside your scope')
    const serverVersion = current ? current.version : null
    if (op === 'delete') {
      if (!current || current.deleted) return { answer: { id, status: 'applied', row: null, version: serverVersion } }
      if (baseVersion !== serverVersion) return answer('conflict', current)
      return {
        write: { kind: 'remove', id: key as string | number, ...(table.updatedAt ? { stamp: { [table.updatedAt]: nowMicros() } } : {}) },
        answer: (written) => ({ id, status: 'applied', row: null, version: written ? Number(written[VERSION_COL]) : serverVersion }),
      }
    }
    // upsert: the client based it on `baseVersion`; anything else on the server now is a conflict.
    if (baseVersion !== serverVersion) return answer('conflict', current)
    const values = { ...row! }
    if (table.updatedAt) values[table.updatedAt] = nowMicros()
    const after = current ? { ...current.values, ...values } : values
    if (!inScope(after, clauses)) return rejected('forbidden', 'the row would be outside your scope')
    const applied = (written: Record<string, unknown> | null): MutationResult => ({
      id,
      status: 'applied',
      row: written as Record<string, JsonPrimitive> | null,
      version: written ? Number(written[VERSION_COL]) : null,
    })
    if (!current) return { write: { kind: 'insert', row: values }, answer: applied }
    const { [table.primaryKey]: _key, ...patch } = values
    // A soft-deleted row written again comes back to life with the client's fields.
    if (current.deleted) patch[DELETED_COL] = false
    return { write: { kind: 'update', id: key as string | number, patch }, answer: applied }
  }
  return { table, plan: { id, fingerprint, key: key as string | number, decide } }
}

function isKey(key: unknown, kind: ColumnKind): key is string | number {
  if (typeof key === 'number') return Number.isFinite(key) && (kind === 'integer' ? Number.isSafeInteger(key) : kind !== 'text')
  if (typeof key === 'string') return key !== '' && key.length <= 1024 && kind !== 'integer' && kind !== 'number'
  return false
}

const KIND_TEXT: Record<ColumnKind, string> = { integer: 'an integer', number: 'a number', text: 'a string', boolean: 'a boolean (or 0/1)', any: 'a string, number or boolean' }

function fits(v: JsonPrimitive, kind: ColumnKind): boolean {
  if (v === null) return true
  switch (kind) {
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v)
    case 'number':
      return typeof v === 'number' && Number.isFinite(v)
    case 'text':
      return typeof v === 'string'
    case 'boolean':
      // SQLite stores booleans as 0/1 and pulls send them so: a pulled row must be writable back.
      return typeof v === 'boolean' || v === 0 || v === 1
    case 'any':
      return typeof v !== 'number' || Number.isFinite(v)
  }
}

/** The columns a pushed row may set, checked one by one; unknown and reserved columns refuse the row. */
function checkRow(raw: unknown, table: TableInfo, key: string | number, writable: true | readonly string[]): Record<string, JsonPrimitive> {
  if (!isPlainObject(raw)) throw new Rejection('bad_row', 'an upsert needs a "row" object')
  const allowed = writable === true ? null : new Set(writable)
  const out: Record<string, JsonPrimitive> = {}
  for (const [column, value] of Object.entries(raw)) {
    if (column === VERSION_COL || column === DELETED_COL) throw new Rejection('bad_row', `${column} is maintained by the server`)
    // allColumns is a Set: "__proto__", "constructor" and SQL are just names that are not columns.
    if (!table.allColumns.has(column)) throw new Rejection('bad_row', `${JSON.stringify(preview(column))} is not a column of ${collectionName(table)}`)
    if (value !== null && typeof value === 'object') throw new Rejection('bad_row', `${column} must be a string, number, boolean or null`)
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean' && value !== null) {
      throw new Rejection('bad_row', `${column} must be a string, number, boolean or null`)
    }
    const kind = table.kinds.get(column) ?? 'any'
    if (!fits(value, kind)) throw new Rejection('bad_row', `${column} takes ${KIND_TEXT[kind]} (or null)`)
    // Columns outside `writable` keep their stored values; the answer shows them.
    if (allowed && column !== table.primaryKey && !allowed.has(column)) continue
    // The 2015 endpoints order by updated_at: the server stamps it, a client's clock cannot.
    if (column === table.updatedAt) continue
    Object.defineProperty(out, column, { value, enumerable: true, writable: true, configurable: true })
  }
  if (!Object.hasOwn(out, table.primaryKey)) throw new Rejection('bad_row', `the row has no primary key ${JSON.stringify(table.primaryKey)}`)
  if (out[table.primaryKey] !== key) throw new Rejection('bad_row', `the row's ${table.primaryKey} differs from "key"`)
  return out
}

const collectionName = (table: TableInfo) => JSON.stringify(table.collection)

/** Scope values compare as the database stores them: SQLite keeps booleans as 0/1. */
const norm = (v: unknown) => (v === true ? 1 : v === false ? 0 : v === undefined ? null : v)

function inScope(values: Record<string, unknown>, clauses: readonly Clause[]): boolean {
  return clauses.every((clause) => {
    const actual = norm(values[clause.field])
    return clause.values.some((expected) => {
      const e = norm(expected)
      return e === null ? actual === null : actual !== null && String(actual) === String(e)
    })
  })
}

/**
 * Reads the request body up to `limit` bytes: from a Fetch `Request`, a node `IncomingMessage`, or
 * a body a framework has already read (`raw.body`). Over the limit: `413 too_large`.
 */
export async function readBody(request: ReplicaRequest, limit: number): Promise<string> {
  const raw = request.raw as { body?: unknown; on?: unknown; text?: unknown } | null | undefined
  const over = () => tooLarge(413, `request body over ${limit} bytes`)
  if (typeof Request !== 'undefined' && raw instanceof Request) {
    if (!raw.body) return ''
    return readChunks(raw.body as unknown as AsyncIterable<Uint8Array>, limit, over)
  }
  if (raw && typeof raw.on === 'function' && typeof (raw as unknown as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    // Already read by a body parser (Express's express.json(), for one)?
    if (raw.body !== undefined) return fromParsed(raw.body, limit, over)
    return readChunks(raw as unknown as AsyncIterable<Uint8Array>, limit, over)
  }
  if (raw && raw.body !== undefined) return fromParsed(raw.body, limit, over)
  throw badRequest('the request body could not be read')
}

async function readChunks(stream: AsyncIterable<Uint8Array | string>, limit: number, over: () => Error): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    size += buffer.length
    if (size > limit) throw over()
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function fromParsed(body: unknown, limit: number, over: () => Error): string {
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body ?? null)
  if (Buffer.byteLength(text) > limit) throw over()
  return text
}
