import type { Json } from './protocol'

/** The row type of a collection when none is given. */
export type DefaultRow = Record<string, Json>

declare const rowType: unique symbol

/** How a collection is configured: `{}` for the defaults, or `collection<Note>()` for typed rows. */
export interface CollectionConfig<T extends object = DefaultRow> {
  /**
   * The field that identifies a row. Default `'id'`.
   * @example collections: { user: collection<User>({ primaryKey: 'uuid' }) }
   */
  primaryKey?: string
  /**
   * Most rows the collection keeps of scopes nobody holds: when it holds more, the least recently
   * used scopes without a subscriber are evicted (rows, cursor) until it is back under this, or
   * only held scopes are left. Rows that mounted subscriptions hold are never evicted, so the
   * collection may stay above it while they hold more. Default: no limit. See docs/eviction.md.
   * @example collections: { note: collection<Note>({ maxRows: 50_000 }) }
   */
  maxRows?: number
  /** Carries the row type for inference; never set at run time. */
  readonly [rowType]?: T
}

/**
 * Declares a collection with a row type, so selectors infer it.
 *
 * @example
 * interface Note { id: number; project_id: number; body: string; updated_at: string }
 * const replica = createReplica({ collections: { note: collection<Note>() }, transport })
 * replica.selectors.note.selectAll(state) // Note[]
 * @example collection<Note>({ maxRows: 50_000 }) // evict unused scopes past 50,000 rows
 */
export function collection<T extends object>(options: { primaryKey?: keyof T & string; maxRows?: number } = {}): CollectionConfig<T> {
  return {
    ...(options.primaryKey === undefined ? {} : { primaryKey: options.primaryKey }),
    ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
  }
}

/** The row type a collection config carries. */
export type RowOf<C> = C extends { readonly [rowType]?: infer T } ? (unknown extends T ? DefaultRow : T extends object ? T : never) : DefaultRow

/** Row types by collection name. */
export type RowsOf<Collections> = { [K in keyof Collections]: RowOf<Collections[K]> }
