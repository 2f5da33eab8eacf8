import { createHash } from 'node:crypto'
import type { JsonPrimitive } from '../core/protocol.js'
import type { MutationResult, PushErrorCode } from '../core/pushWire.js'
import { ReplicaError, badRequest, preview, tooLarge } from './errors.js'
import { scopeClauses } from './filter.js'
import { json, type Context, type ReplicaAnswer, type ReplicaRequest } from './context.js'
import { readBody } from './push-body.js'
import { constraintRejected, type CurrentRow, type MutationDecision, type MutationPlan } from './push-plan.js'
import { DELETED_COL, VERSION_COL } from './sql.js'
import { fitsInteger } from './tables.js'
import { nowMicros } from './timestamp.js'
import type { Clause, ColumnKind, IntegerRange, TableInfo } from './types.js'

/**
 * `POST <base>/push` (docs/protocol.md, "Push"; docs/writes.md): `{ mutations: [...] }` in, one
 * result per mutation out, in order. Each mutation runs in its own transaction together with its
 * idempotency record, so a resent mutation id is answered from the record and never applied twice.
 *
 * What is refused for the whole request (4xx): a caller `authorize` refuses (asked before the body
 * is read), a body over `maxPushBytes`, malformed JSON, not an object with a `mutations` array of
 * 1..`maxPushMutations` objects, a mutation without a usable `id` (1-128 printable ASCII
 * characters, unique in the request). Anything else wrong with one mutation rejects that mutation
 * only (`rejected` with a code), and the others go on: a client must never be stuck behind one bad
 * write. (The handler checks method, content type and origin before any of this.)
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

export async function handlePush(ctx: Context, request: ReplicaRequest, limits: PushLimits): Promise<ReplicaAnswer> {
  // Who is calling, before anything of the body is read or judged.
  await authorizeWrite(ctx, request, '')
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
  const tables = await ctx.tables()
  const scopes = new Map<string, ScopeVerdict>()
  for (const m of mutations as Array<Record<string, unknown>>) {
    const collection = m.collection
    if (typeof collection !== 'string' || scopes.has(collection)) continue
    scopes.set(collection, await collectionScope(ctx, request, collection, tables))
  }

  const results: MutationResult[] = []
  for (const m of mutations as Array<Record<string, unknown> & { id: string }>) {
    try {
      const { table, plan } = planMutation(m, scopes, tables)
      results.push(await ctx.source.applyMutation(table, plan))
    } catch (error) {
      if (!(error instanceof Rejection)) throw error
      results.push({ id: m.id, status: 'rejected', error: { code: error.code, message: error.message } })
    }
  }
  return json(200, JSON.stringify({ results }))
}

/** Asks `authorize` about a write; a refusal of the caller (401) refuses the whole request. */
async function authorizeWrite(ctx: Context, request: ReplicaRequest, collection: string) {
  const scope = await ctx.authorize(request, { collection, operation: 'write' })
  if (scope === null || scope === undefined) throw new ReplicaError(401, 'unauthorized', 'authentication required')
  if (scope === false && collection === '') throw new ReplicaError(403, 'forbidden', 'access denied')
  return scope
}

async function collectionScope(ctx: Context, request: ReplicaRequest, collection: string, tables: Map<string, TableInfo>): Promise<ScopeVerdict> {
  let scope
  try {
    scope = await authorizeWrite(ctx, request, collection)
  } catch (error) {
    // A 401 is about the caller, not this mutation: the whole request is refused, so the client
    // can refresh its credentials and send the same mutations again.
    if (error instanceof ReplicaError && error.status !== 401) return { rejection: new Rejection(error.code, error.message) }
    throw error
  }
  if (scope === false) return { rejection: new Rejection('forbidden', 'access denied') }
  const table = tables.get(collection)
  if (!table) return { clauses: [] }
  return { clauses: scopeClauses(scope, table, collection) }
}

/**
 * Checks one mutation completely, before any SQL, and builds what the source runs. Long (about 75
 * lines) because it is one list of checks read top to bottom, each ending in its own rejection;
 * split up, the order of the checks (which is part of what the endpoint promises) would be harder to see.
 */
function planMutation(
  m: Record<string, unknown> & { id: string },
  scopes: Map<string, ScopeVerdict>,
  tables: Map<string, TableInfo>,
): { table: TableInfo; plan: MutationPlan } {
  const { id } = m
  if (typeof m.collection !== 'string') throw new Rejection('bad_mutation', '"collection" must be a string')
  const collection = m.collection
  const verdict = scopes.get(collection)!
  if ('rejection' in verdict) throw verdict.rejection
  const table = tables.get(collection)
  if (!table) throw new Rejection('unknown_collection', `unknown collection ${JSON.stringify(preview(collection))}`)
  if (table.writable.size === 0) throw new Rejection('forbidden', `collection ${JSON.stringify(collection)} is read-only`)
  const op = m.op
  if (op !== 'upsert' && op !== 'delete') throw new Rejection('bad_mutation', '"op" must be "upsert" or "delete"')
  const key = m.key
  const pkKind = table.kinds.get(table.primaryKey) ?? 'any'
  if (!isKey(key, pkKind, table.ranges.get(table.primaryKey))) {
    throw new Rejection('bad_mutation', `"key" must be ${pkKind === 'integer' ? 'an integer the key column can hold' : pkKind === 'text' ? 'a non-empty string' : 'a non-empty string or a finite number'}`)
  }
  const baseVersion = m.baseVersion
  if (baseVersion !== null && !(typeof baseVersion === 'number' && Number.isSafeInteger(baseVersion) && baseVersion >= 0)) {
    throw new Rejection('bad_mutation', '"baseVersion" must be null or a non-negative integer')
  }

  let row: Record<string, JsonPrimitive> | undefined
  if (op === 'upsert') {
    row = checkRow(m.row, table, key)
  } else if (m.row !== undefined) {
    throw new Rejection('bad_mutation', 'a delete carries no "row"')
  }
  // The caller's scope is part of what is asked: a mutation id is global, and a caller of another
  // scope who sent the same id and write must get `id_reused`, never the stored answer (a row).
  const scope = verdict.clauses.map((c) => [c.field, c.values.map(String)])
  const asked = m.row === undefined ? null : Object.entries(m.row as object).sort(([a], [b]) => (a < b ? -1 : 1))
  const fingerprint = createHash('sha256').update(JSON.stringify([collection, op, key, baseVersion, asked, scope])).digest('base64url')

  const decide = (found: CurrentRow | null): MutationDecision => {
    // A row outside the caller's scope is neither shown nor touched, and answered as if absent:
    // a delete of another tenant's key and of a missing key look the same.
    const current = found && found.inScope ? found : null
    const serverVersion = current ? current.version : null
    const conflict = (): MutationDecision => ({
      answer: { id, status: 'conflict', row: current && !current.deleted ? (current.wire as Record<string, JsonPrimitive>) : null, version: serverVersion },
    })
    if (op === 'delete') {
      if (!current || current.deleted) return { answer: { id, status: 'applied', row: null, version: serverVersion } }
      if (baseVersion !== serverVersion) return conflict()
      return {
        write: { kind: 'remove', id: key, ...(table.updatedAt ? { stamp: { [table.updatedAt]: nowMicros() } } : {}) },
        answer: (written) => ({ id, status: 'applied', row: null, version: written ? Number(written[VERSION_COL]) : serverVersion }),
      }
    }
    // upsert: the client based it on `baseVersion`; anything else on the server now is a conflict.
    if (baseVersion !== serverVersion) return conflict()
    // Creating a key that another tenant holds: the insert would break the primary key. Answered
    // as any refused write, so it tells no more than a UNIQUE violation would.
    if (found && !current) return { answer: constraintRejected(id) }
    const values = { ...row! }
    if (table.updatedAt) values[table.updatedAt] = nowMicros()
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
    return { write: { kind: 'update', id: key, patch }, answer: applied }
  }
  return { table, plan: { id, fingerprint, key, scope: verdict.clauses, decide } }
}

function isKey(key: unknown, kind: ColumnKind, range: IntegerRange | undefined): key is string | number {
  if (typeof key === 'number') return kind === 'integer' ? fitsInteger(key, range) : Number.isFinite(key) && kind !== 'text'
  if (typeof key === 'string') return key !== '' && key.length <= 1024 && kind !== 'integer' && kind !== 'number'
  return false
}

const KIND_TEXT: Record<ColumnKind, string> = {
  integer: 'an integer its column can hold',
  number: 'a number',
  text: 'a string',
  boolean: 'a boolean (or 0/1)',
  any: 'a string, number or boolean',
}

function fits(v: JsonPrimitive, kind: ColumnKind, range: IntegerRange | undefined): boolean {
  if (v === null) return true
  switch (kind) {
    case 'integer':
      return fitsInteger(v, range)
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

/**
 * The columns a pushed row sets. Readable columns outside `writable` are ignored (a pulled row sent
 * back carries them); anything else (a reserved column, a column clients cannot read, no column at
 * all) refuses the row with one message that names nothing, so the answer cannot tell a hidden
 * column from a missing one.
 */
function checkRow(raw: unknown, table: TableInfo, key: string | number): Record<string, JsonPrimitive> {
  if (!isPlainObject(raw)) throw new Rejection('bad_row', 'an upsert needs a "row" object')
  const out: Record<string, JsonPrimitive> = {}
  for (const [column, value] of Object.entries(raw)) {
    if (column === VERSION_COL || column === DELETED_COL) throw new Rejection('bad_row', `${column} is maintained by the server`)
    // `columns` is what clients can read; "__proto__", "constructor" and SQL are just other names.
    if (!table.columns.includes(column)) throw new Rejection('bad_row', 'the row has a field that clients of this collection cannot write')
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean' && value !== null) {
      throw new Rejection('bad_row', `${column} must be a string, number, boolean or null`)
    }
    const kind = table.kinds.get(column) ?? 'any'
    if (!fits(value, kind, table.ranges.get(column))) throw new Rejection('bad_row', `${column} takes ${KIND_TEXT[kind]} (or null)`)
    if (!table.writable.has(column)) continue
    Object.defineProperty(out, column, { value, enumerable: true, writable: true, configurable: true })
  }
  if (!Object.hasOwn(out, table.primaryKey)) throw new Rejection('bad_row', `the row has no primary key ${JSON.stringify(table.primaryKey)}`)
  if (out[table.primaryKey] !== key) throw new Rejection('bad_row', `the row's ${table.primaryKey} differs from "key"`)
  return out
}
