import type Loki from 'lokijs'
import type { Key, Version } from '../protocol'
import type { TombstoneMemory } from '../store/tombstones'
import { compareVersions } from '../store/versions'
import type { Row } from '../sync/transport'
import type { CollectionChange, OutboxEntry, PendingCount, RejectedWrite, ResolvedConflict } from './types'
import type { MutationResult } from './wire'

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
}

/** What the push loop learns from one answered batch, for one action. */
export interface Settlement {
  changes: CollectionChange[]
  pending: PendingCount[]
  applied: number
  conflicts: ResolvedConflict[]
  rejected: RejectedWrite[]
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
  /** Queues a local write in one synchronous step (the data shown and the outbox change together). */
  write(write: LocalWrite): LocalWriteOutcome
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
  newId(): string
}

const copy = (entry: OutboxEntry): OutboxEntry => {
  const { id, seq, collection, key, op, row, baseVersion } = entry
  return row === undefined ? { id, seq, collection, key, op, baseVersion } : { id, seq, collection, key, op, row, baseVersion }
}

export function createOutboxStore(options: OutboxStoreOptions): OutboxStore {
  const { outbox } = options
  // Per collection, per key (as a string): its pending writes in order. Rebuilt from the outbox.
  const byKey = new Map<string, Map<string, OutboxEntry[]>>()
  const listOf = (collection: string, k: string, create = false): OutboxEntry[] | undefined => {
    let keys = byKey.get(collection)
    if (!keys) {
      if (!create) return undefined
      byKey.set(collection, (keys = new Map()))
    }
    let list = keys.get(k)
    if (!list && create) keys.set(k, (list = []))
    return list
  }
  const dropFromList = (entry: OutboxEntry) => {
    const keys = byKey.get(entry.collection)
    const list = keys?.get(String(entry.key))
    if (!keys || !list) return
    const at = list.indexOf(entry)
    if (at >= 0) list.splice(at, 1)
    if (list.length === 0) keys.delete(String(entry.key))
  }
  const sorted = outbox.data.slice().sort((a, b) => a.seq - b.seq)
  for (const entry of sorted) listOf(entry.collection, String(entry.key), true)!.push(entry)
  let seq = sorted.reduce((max, entry) => Math.max(max, entry.seq), 0)
  // Writes that may have reached the server: everything found at open, everything sent since.
  // Only a write that surely never left may be merged with a later one (keeping its id).
  const maybeSent = new Set(sorted.map((entry) => entry.id))
  // Every id this store has held: writes found at open, queued here, or adopted.
  const known = new Set(maybeSent)

  const baseOf = (collection: string, k: string) => options.rowsOf(collection).by('k', k) as BaseDoc | undefined
  const effect = (entry: OutboxEntry): Row | undefined => (entry.op === 'upsert' ? entry.row : undefined)
  const visibleByK = (collection: string, k: string): Row | undefined => {
    const list = listOf(collection, k)
    if (list && list.length > 0) return effect(list[list.length - 1]!)
    return baseOf(collection, k)?.r
  }
  const count = (collection: string, key: Key): PendingCount => ({ collection, key, count: listOf(collection, String(key))?.length ?? 0 })
  const changeOf = (collection: string, key: Key): CollectionChange => {
    const row = visibleByK(collection, String(key))
    return row ? { collection, upserted: [row], removed: [] } : { collection, upserted: [], removed: [key] }
  }

  /**
   * Makes the server's row the stored one, if it is newer than every version the client has seen
   * of it: the row held, or a tombstone the stream brought while the answer was on its way (a
   * resend answered from the server's record carries the row as it was when first applied).
   */
  const rebase = (collection: string, k: string, row: Row | null, version: number | null) => {
    const rows = options.rowsOf(collection)
    const gone = options.tombstonesOf(collection)
    const held = baseOf(collection, k)
    if (row === null) {
      // Deleted on the server (or never there): the stored row goes, and its tombstone is
      // remembered, so that a pull of an older version still under way cannot bring it back.
      if (version === null) {
        if (held) rows.remove(held)
        return
      }
      if (held && compareVersions(version, held.v) < 0) return
      if (held) rows.remove(held)
      gone.record(k, version)
      return
    }
    const v = version ?? (row._version as number)
    if (!gone.admits(k, v)) return
    gone.forget(k)
    if (!held) {
      rows.insert({ k, v, r: row, s: options.holdersFor(collection, row) })
    } else if (compareVersions(v, held.v) > 0) {
      held.v = v
      held.r = row
      // The subscriptions whose streams will hold it now: their next pulls bring this version (a
      // no-op) or a tombstone that then removes it, as for any pulled row.
      held.s = options.holdersFor(collection, row)
      rows.update(held)
    }
  }

  return {
    entries: () => outbox.data.slice().sort((a, b) => a.seq - b.seq).map(copy),
    size: () => outbox.data.length,
    isPending: (collection, key) => (listOf(collection, String(key))?.length ?? 0) > 0,
    pendingCounts() {
      const out: PendingCount[] = []
      for (const [collection, keys] of byKey) for (const list of keys.values()) out.push({ collection, key: list[0]!.key, count: list.length })
      return out
    },
    visible: (collection, key) => visibleByK(collection, String(key)),
    overlay(collection, rows) {
      const keys = byKey.get(collection)
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
          const shown = effect(list[list.length - 1]!)
          if (shown) out.push(shown)
        }
      }
      for (const [k, list] of keys) {
        const shown = effect(list[list.length - 1]!)
        if (!seen.has(k) && shown) out.push(shown)
      }
      return out
    },

    write(write) {
      const { collection, key } = write
      const k = String(key)
      const list = listOf(collection, k, true)!
      const last = list[list.length - 1]
      let entry: OutboxEntry | undefined
      if (last && !maybeSent.has(last.id)) {
        // Never sent: fold this write into it. What stood before it decides whether a delete
        // cancels it (a row created and deleted offline never reaches the server).
        const before = list.length >= 2 ? effect(list[list.length - 2]!) : last.baseVersion === null ? undefined : baseOf(collection, k)?.r ?? {}
        if (write.op === 'upsert') {
          last.op = 'upsert'
          last.row = write.row!
          outbox.update(last)
          entry = last
        } else if (before === undefined) {
          outbox.remove(last)
          dropFromList(last)
        } else {
          last.op = 'delete'
          delete last.row
          outbox.update(last)
          entry = last
        }
      } else if (write.op === 'delete' && visibleByK(collection, k) === undefined && (last === undefined || last.op === 'delete')) {
        // Nothing to delete here.
        if (list.length === 0) byKey.get(collection)?.delete(k)
      } else {
        const held = baseOf(collection, k)
        const baseVersion = last !== undefined ? null : held && typeof held.v === 'number' ? held.v : null
        const fresh: OutboxEntry = { id: options.newId(), seq: ++seq, collection, key, op: write.op, baseVersion }
        if (write.op === 'upsert') fresh.row = write.row!
        known.add(fresh.id)
        outbox.insert(fresh)
        list.push(fresh)
        entry = fresh
      }
      options.changed(true)
      return { change: changeOf(collection, key), pending: count(collection, key), ...(entry ? { entry: copy(entry) } : {}) }
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

    settle(answers, resolve, now) {
      const touched = new Map<string, { collection: string; key: Key }>()
      const settlement: Settlement = { changes: [], pending: [], applied: 0, conflicts: [], rejected: [] }
      for (const { entry: sent, result } of answers) {
        const list = listOf(sent.collection, String(sent.key))
        const entry = list?.find((e) => e.id === sent.id)
        if (!list || !entry) continue
        const k = String(entry.key)
        touched.set(`${entry.collection}\u0000${k}`, { collection: entry.collection, key: entry.key })
        const done = () => {
          outbox.remove(entry)
          dropFromList(entry)
        }
        const next = () => list[list.indexOf(entry) + 1]
        if (result.status === 'applied') {
          settlement.applied++
          rebase(entry.collection, k, result.row, result.version)
          const following = next()
          if (following) {
            following.baseVersion = result.version
            outbox.update(following)
          }
          done()
        } else if (result.status === 'conflict') {
          rebase(entry.collection, k, result.row, result.version)
          const decision = resolve({ entry: copy(entry), server: result.row })
          if (decision === 'server') {
            // The server's row stands, and so do later writes of this key that built on the lost one: none.
            for (const dropped of list.slice(list.indexOf(entry))) {
              settlement.conflicts.push({ id: dropped.id, collection: dropped.collection, key: dropped.key, resolution: 'server' })
              outbox.remove(dropped)
            }
            list.length = 0
            byKey.get(entry.collection)?.delete(k)
          } else {
            settlement.conflicts.push({ id: entry.id, collection: entry.collection, key: entry.key, resolution: decision === 'client' ? 'client' : 'merged' })
            // A new mutation (new id), based on the version the server has now.
            entry.id = options.newId()
            known.add(entry.id)
            entry.baseVersion = result.version
            if (decision !== 'client') {
              entry.op = 'upsert'
              entry.row = decision.merged
            }
            outbox.update(entry)
          }
        } else {
          settlement.rejected.push({
            id: entry.id,
            collection: entry.collection,
            key: entry.key,
            op: entry.op,
            ...(entry.row ? { row: entry.row } : {}),
            error: { name: 'ReplicaError', code: result.error.code, message: result.error.message },
            at: now,
          })
          const following = next()
          if (following) {
            const held = baseOf(entry.collection, k)
            following.baseVersion = held && typeof held.v === 'number' ? held.v : null
            outbox.update(following)
          }
          done()
        }
      }
      for (const { collection, key } of touched.values()) {
        settlement.pending.push(count(collection, key))
        const change = changeOf(collection, key)
        const into = settlement.changes.find((c) => c.collection === collection)
        if (into) {
          into.upserted.push(...change.upserted)
          into.removed.push(...change.removed)
        } else settlement.changes.push(change)
      }
      if (touched.size > 0) options.changed(true)
      return settlement
    },
  }
}
