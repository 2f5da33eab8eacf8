import type { ConflictDecision, ConflictInfo } from '../../core/writeTypes'

/** The three values of one field that both sides changed to different values. */
export interface FieldConflict<V> {
  field: string
  /** The value the local write was made on (undefined: the base had no such field, or no base). */
  base: V | undefined
  local: V | undefined
  server: V | undefined
}

/** Options of {@link mergeFields}. */
export interface MergeFieldsOptions<T> {
  /**
   * Which side wins a field that both changed to different values. Default `'server'`.
   * @example mergeFields({ prefer: 'local' }) // the user's value wins every field both changed
   */
  prefer?: 'server' | 'local'
  /**
   * Per-field rules for a field both sides changed to different values, ahead of `prefer`:
   * the value returned is the merged row's (undefined leaves the field out).
   * @example mergeFields<Note>({ fields: { tags: ({ local, server }) => [...new Set([...(server ?? []), ...(local ?? [])])] } })
   */
  fields?: { [K in keyof T]?: (values: FieldConflict<T[K]>) => T[K] | undefined }
}

// The server's bookkeeping: never merged, the server's values stand.
const SERVER_FIELDS = new Set(['_version', '_deleted'])

/** Equality of plain JSON values (rows are plain JSON: no Dates, Maps or cycles). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ak = Object.keys(a)
  const bk = Object.keys(b)
  if (ak.length !== bk.length) return false
  return ak.every((k) => Object.hasOwn(b, k) && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/**
 * A field-level three-way merge for `onConflict`. For each field: if only the local write changed
 * it from `base`, the local value is kept; if only the server changed it, the server's; if both
 * changed it to different values, `fields[field]` decides, else `prefer` (default: the server).
 * Fields compare as JSON values (an object or array is one value).
 *
 * When there is nothing to merge, it decides as the default rule does: a local delete, or a row
 * deleted on the server, gives `'server'` (`'client'` with `prefer: 'local'`); a merge that keeps
 * no local change gives `'server'` (nothing is sent again). A create that met an existing row has
 * no base: every field the two rows disagree on goes to the rule.
 *
 * @example
 * // The user edited `body` offline while someone renamed the note: both edits are kept.
 * createReplica({ collections: { note: collection<Note>() }, transport, push, onConflict: mergeFields() })
 * @example
 * onConflict: mergeFields<Note>({ prefer: 'local', fields: { updated_at: ({ local, server }) => (local! > server! ? local : server) } })
 */
export function mergeFields<T extends object = object>(options: MergeFieldsOptions<T> = {}): <R extends T>(conflict: ConflictInfo<R>) => ConflictDecision<R> {
  const prefer = options.prefer ?? 'server'
  const rules = (options.fields ?? {}) as Record<string, ((values: FieldConflict<unknown>) => unknown) | undefined>
  return <R extends T>({ base, local, server }: ConflictInfo<R>): ConflictDecision<R> => {
    if (local === null || server === null) return prefer === 'local' ? 'client' : 'server'
    const b = (base ?? {}) as Record<string, unknown>
    const l = local as Record<string, unknown>
    const s = server as Record<string, unknown>
    const merged: Record<string, unknown> = {}
    let keptLocal = false
    for (const field of new Set([...Object.keys(s), ...Object.keys(l), ...Object.keys(b)])) {
      let value: unknown
      if (SERVER_FIELDS.has(field) || same(l[field], b[field]) || same(l[field], s[field])) value = s[field]
      else if (same(s[field], b[field])) value = l[field]
      else {
        const rule = rules[field]
        value = rule ? rule({ field, base: b[field], local: l[field], server: s[field] }) : prefer === 'local' ? l[field] : s[field]
      }
      if (value !== undefined) merged[field] = value
      if (!same(value, s[field])) keptLocal = true
    }
    return keptLocal ? (merged as R) : 'server'
  }
}
