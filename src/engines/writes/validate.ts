import { ReplicaError } from '../../core/errors'
import type { Key } from '../../core/protocol'
import { DELETED_FIELD, VERSION_FIELD } from '../../core/protocol'
import type { Row } from '../../core/pullWire'
import type { LocalWrite } from '../../store/outboxStore'

const MAX_DEPTH = 32

const bad = (message: string) => new ReplicaError('bad_write', message)

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * A copy of `value` that is plain JSON, or a `bad_write` error naming the first field that is not:
 * undefined, functions, symbols, bigints, NaN/Infinity, Dates, Maps, class instances, a
 * `__proto__` key. Copying at the boundary also means the caller may keep mutating its object.
 */
export function plainJson(value: unknown, path: string, depth = 0): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw bad(`${path} is not a finite number`)
    return value
  }
  if (depth > MAX_DEPTH) throw bad(`${path} is nested too deeply`)
  if (Array.isArray(value)) return value.map((item, i) => plainJson(item, `${path}[${i}]`, depth + 1))
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {}
    for (const field of Object.keys(value)) {
      if (field === '__proto__') throw bad(`${path} has a "__proto__" field`)
      out[field] = plainJson(value[field], `${path}.${field}`, depth + 1)
    }
    return out
  }
  const kind = value === undefined ? 'undefined' : typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value
  throw bad(`${path} is ${kind}, not JSON`)
}

function checkKey(key: unknown, what: string): Key {
  if ((typeof key === 'string' && key !== '') || (typeof key === 'number' && Number.isFinite(key))) return key
  throw bad(`${what} must be a non-empty string or a finite number, got ${JSON.stringify(key) ?? String(key)}`)
}

/** A row as written: plain JSON, without the server's `_version`/`_deleted`. */
function writtenRow(value: unknown, path: string): Row {
  if (!isPlainObject(value)) throw bad(`${path} must be a plain object`)
  const row = plainJson(value, path) as Row
  delete row[VERSION_FIELD]
  delete row[DELETED_FIELD]
  return row
}

/**
 * Checks a `save` or `remove` payload completely and turns it into a write for the outbox. Throws a
 * `ReplicaError` (`unknown_collection`, `bad_write`, `not_found`) and writes nothing on bad input.
 * `visible` gives the row Redux shows now, for the patch form.
 */
export function toLocalWrite(
  op: 'save' | 'remove',
  payload: unknown,
  collections: Record<string, { primaryKey: string }>,
  visible: (collection: string, key: Key) => Row | undefined,
): LocalWrite {
  if (!isPlainObject(payload)) throw bad(`${op} needs a payload object`)
  const collection = payload.collection
  if (typeof collection !== 'string' || !Object.hasOwn(collections, collection)) {
    throw new ReplicaError('unknown_collection', `Unknown collection ${JSON.stringify(collection)}: configure it in createReplica({ collections })`)
  }
  const { primaryKey } = collections[collection] as { primaryKey: string }
  if (op === 'remove') return { collection, key: checkKey(payload.key, 'key'), op: 'delete' }
  if (payload.row !== undefined) {
    if (payload.patch !== undefined) throw bad('save takes a row or a key and a patch, not both')
    const row = writtenRow(payload.row, 'row')
    const key = checkKey(row[primaryKey], `row.${primaryKey} (the primary key; make ids of new rows on the client, e.g. crypto.randomUUID())`)
    if (payload.key !== undefined && String(payload.key) !== String(key)) throw bad(`key differs from row.${primaryKey}`)
    return { collection, key, op: 'upsert', row }
  }
  const key = checkKey(payload.key, 'key')
  const patch = writtenRow(payload.patch, 'patch')
  if (Object.hasOwn(patch, primaryKey) && String(patch[primaryKey]) !== String(key)) throw bad(`a patch cannot change the primary key "${primaryKey}"`)
  const current = visible(collection, key)
  if (!current) throw new ReplicaError('not_found', `No ${collection} ${JSON.stringify(key)} to patch`)
  const row: Row = { ...current, ...patch }
  delete row[VERSION_FIELD]
  delete row[DELETED_FIELD]
  return { collection, key: current[primaryKey] as Key, op: 'upsert', row }
}
