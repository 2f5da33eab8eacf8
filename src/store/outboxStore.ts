import type Loki from 'lokijs'
import type { Key, Version } from '../core/protocol'
import type { TombstoneMemory } from './tombstones'
import type { Row } from '../core/pullWire'
import type { CollectionChange, OutboxEntry, PendingCount, RejectedWrite, ResolvedConflict } from '../core/writeTypes'
import type { MutationResult } from '../core/pushWire'
import { createOutboxIndex, effectOf } from './outboxIndex'
import { settleAnswers } from './outboxSettle'

/** What a mutation id given with a write must look like to be used as such: a UUID, unguessable as `randomId` makes it. */
const MUTATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The Loki collection of pending writes, saved with the data. */
export const OUTBOX = '_replica_outbox'

/** A stored server row as the local store keeps it (`StoredRow` in localStore.ts). */
export interface BaseDoc {
  k: string
  v: Version
  r: Row
  s: number[]
}

/** A write as the middleware hands it over, checked and copied. */
export interface LocalWrite {
  collection: string
  key: Key
  op: 'upsert' | 'delete'
  /** upsert: the whole row, plain JSON, without `_version`/`_deleted`. */
  row?: Row
}

/** What one local write changed. */
export interface LocalWriteOutcome {
  change: CollectionChange
  pending: PendingCount
  /** The entry queued or updated; undefined when the write cancelled a queued one or changed nothing. */
  entry?: OutboxEntry
  /** The id of the queued write this one cancelled (a row created and deleted before it was sent). */
  cancelled?: string
}

/** What the push loop learns from one answered batch, for one action. */
export interface Settlement {
  changes: CollectionChange[]
  pending: PendingCount[]
  applied: number
  conflicts: ResolvedConflict[]
  rejected: RejectedWrite[]
  /** Ids of the writes that left the outbox: applied, refused, or dropped by a conflict. */
  answered: string[]
}

/** How a conflict is resolved: 'server', 'client', or a merged row (already checked). */
export type Resolve = (conflict: { entry: OutboxEntry; server: Row | null }) => 'server' | 'client' | { merged: Row }

export interface OutboxStore {
  /** Pending writes in order (copies). */
  entries(): OutboxEntry[]
  size(): number
  isPending(collection: string, key: Key): boolean
  pendingCounts(): PendingCount[]
  /** The row Redux shows for a key: the last pending write's, else the server's; undefined if none. */
  visible(collection: string, key: Key): Row | undefined
  /** A collection's stored rows with pending writes laid over them (for hydration). */
  overlay(collection: string, rows: Row[]): Row[]
  /**
   * Queues a local write in one synchronous step (the data shown and the outbox change together).
   * A new entry takes `id` as its mutation id when it is a UUID this store has never held (the
   * `save`/`remove` action's `meta.writeId`), else a new one. A write folded into an entry not yet
   * sent travels under that entry's id.
   */
  write(write: LocalWrite, id?: string): LocalWriteOutcome
  /**
   * The next writes to send: the outbox from its start, stopping before a key's second write (that
   * one waits for the first's answer, which gives its base version) or at `max`.
   */
  nextBatch(max: number): OutboxEntry[]
  /**
   * Takes over writes another tab queued in the stored database (the old leader's, found when this
   * tab takes the lead): those whose ids this store has never held join the outbox, after its own,
   * with their ids and base versions kept (they may have been sent). Returns what each key shows now.
   */
  adopt(entries: OutboxEntry[]): LocalWriteOutcome[]
  /**
   * Applies the server's answers in one synchronous step: acknowledged writes leave the outbox as
   * the server's canonical rows become the stored rows. See docs/writes.md.
   */
  settle(answers: Array<{ entry: OutboxEntry; result: MutationResult }>, resolve: Resolve, now: string): Settlement
}

export interface OutboxStoreOptions {
  outbox: Loki.Collection<OutboxEntry & { $loki?: number }>
  rowsOf(collection: string): Loki.Collection<BaseDoc>
  /** The tombstones seen for keys not held (a push answer never brings back an older version). */
  tombstonesOf(collection: string): TombstoneMemory
  primaryKeys: Record<string, { primaryKey: string }>
  /** Ids of stored subscriptions of a collection whose filter matches a row (its holders). */
  holdersFor(collection: string, row: Row): number[]
  /** Something changed: save soon (`urgent`: now). */
  changed(urgent: boolean): void
  /** A new mutation id (random, unguessable: a replay is answered from the server's record). */
  mutationId(): string
}

const copy = (entry: OutboxEntry): OutboxEntry => {
  const { id, seq, collection, key, op, row, baseVersion, base } = entry
  const out: OutboxEntry = { id, seq, collection, key, op, baseVersion }
  if (row !== undefined) out.row = row
  if (base !== undefined) out.base = base
  return out
}

/**
 * The outbox over its Loki collection. A factory of closures over the store's counters (`seq`,
 * which ids may have been sent): each method is short, and the in-memory index
 * (./outboxIndex.ts) and the settling of answers (./outboxSettle.ts) live in modules of their own.
 */
export function createOutboxStore(options: OutboxStoreOptions): OutboxStore {
  const { outbox } = options
  const sorted = outbox.data.slice().sort((a, b) => a.seq - b.seq)
  const index = createOutboxIndex(sorted, options.rowsOf)
  const { listOf, baseOf, count, changeOf } = index
  const visibleByK = index.visible
  let seq = sorted.reduce((max, entry) => Math.max(max, entry.seq), 0)
  // Writes that may have reached the server: everything found at open, everything sent since.
  // Only a write that surely never left may be merged with a later one (keeping its id).
  const maybeSent = new Set(sorted.map((entry) => entry.id))
  // Every id this store has held: writes found at open, queued here, or adopted.
  const known = new Set(maybeSent)

  return {
    entries: () => outbox.data.slice().sort((a, b) => a.seq - b.seq).map(copy),
    size: () => outbox.data.length,
    isPending: (collection, key) => (listOf(collection, String(key))?.length ?? 0) > 0,
    pendingCounts() {
      const out: PendingCount[] = []
      for (const [collection, keys] of index.collections()) for (const list of keys.values()) out.push({ collection, key: list[0]!.key, count: list.length })
      return out
    },
    visible: (collection, key) => visibleByK(collection, String(key)),
    overlay(collection, rows) {
      const keys = index.keysOf(collection)
      if (!keys || keys.size === 0) return rows
      const { primaryKey } = options.primaryKeys[collection] as { primaryKey: string }
      const out: Row[] = []
      const seen = new Set<string>()
      for (const row of rows) {
        const k = String(row[primaryKey])
        seen.add(k)
        const list = keys.get(k)
        if (!list) out.push(row)
        else {
          const shown = effectOf(list[list.length - 1]!)
          if (shown) out.push(shown)
        }
      }
      for (const [k, list] of keys) {
        const shown = effectOf(list[list.length - 1]!)
        if (!seen.has(k) && shown) out.push(shown)
      }
      return out
    },

    write(write, id) {
      const { collection, key } = write
      const k = String(key)
      const list = listOf(collection, k, true)!
      const last = list[list.length - 1]
      let entry: OutboxEntry | undefined
      let cancelled: string | undefined
      if (last && !maybeSent.has(last.id)) {
        // Never sent: fold this write into it. What stood before it decides whether a delete
        // cancels it (a row created and deleted offline never reaches the server).
        const before = list.length >= 2 ? effectOf(list[list.length - 2]!) : last.baseVersion === null ? undefined : baseOf(collection, k)?.r ?? {}
        if (write.op === 'upsert') {
          last.op = 'upsert'
          last.row = write.row!
          outbox.update(last)
          entry = last
        } else if (before === undefined) {
          outbox.remove(last)
          index.drop(last)
          cancelled = last.id
        } else {
          last.op = 'delete'
          delete last.row
          outbox.update(last)
          entry = last
        }
      } else if (write.op === 'delete' && visibleByK(collection, k) === undefined && (last === undefined || last.op === 'delete')) {
        // Nothing to delete here.
        if (list.length === 0) index.dropKey(collection, k)
      } else {
        const held = baseOf(collection, k)
        const baseVersion = last !== undefined ? null : held && typeof held.v === 'number' ? held.v : null
        // The row the user edited: the previous pending write's, else the stored server row. A
        // whole row, like the write itself (an upsert carries its whole row too).
        const base = visibleByK(collection, k) ?? null
        const fresh: OutboxEntry = { id: id !== undefined && MUTATION_ID.test(id) && !known.has(id) ? id : options.mutationId(), seq: ++seq, collection, key, op: write.op, baseVersion, base }
        if (write.op === 'upsert') fresh.row = write.row!
        known.add(fresh.id)
        outbox.insert(fresh)
        list.push(fresh)
        entry = fresh
      }
      options.changed(true)
      return { change: changeOf(collection, key), pending: count(collection, key), ...(entry ? { entry: copy(entry) } : {}), ...(cancelled ? { cancelled } : {}) }
    },

    adopt(entries) {
      const touched = new Map<string, { collection: string; key: Key; entry: OutboxEntry }>()
      for (const found of entries.slice().sort((a, b) => a.seq - b.seq)) {
        if (known.has(found.id) || !options.primaryKeys[found.collection]) continue
        const entry: OutboxEntry = { ...copy(found), seq: ++seq }
        known.add(entry.id)
        maybeSent.add(entry.id)
        outbox.insert(entry)
        listOf(entry.collection, String(entry.key), true)!.push(entry)
        touched.set(`${entry.collection}\u0000${String(entry.key)}`, { collection: entry.collection, key: entry.key, entry })
      }
      if (touched.size > 0) options.changed(true)
      return [...touched.values()].map(({ collection, key, entry }) => ({ change: changeOf(collection, key), pending: count(collection, key), entry: copy(entry) }))
    },

    nextBatch(max) {
      const batch: OutboxEntry[] = []
      const keys = new Set<string>()
      for (const entry of outbox.data.slice().sort((a, b) => a.seq - b.seq)) {
        if (batch.length >= max) break
        const id = `${entry.collection}\u0000${String(entry.key)}`
        if (keys.has(id)) break
        keys.add(id)
        maybeSent.add(entry.id)
        batch.push(copy(entry))
      }
      return batch
    },

    settle: (answers, resolve, now) => settleAnswers({ options, index, known, copy }, answers, resolve, now),
  }
}
