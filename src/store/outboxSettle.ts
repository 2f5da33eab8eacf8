import type { Key } from '../core/protocol'
import { compareVersions } from '../core/versions'
import type { Row } from '../core/pullWire'
import type { OutboxEntry } from '../core/writeTypes'
import type { MutationResult } from '../core/pushWire'
import type { OutboxIndex } from './outboxIndex'
import type { OutboxStoreOptions, Resolve, Settlement } from './outboxStore'

/** What settling needs of the outbox store. */
export interface SettleContext {
  options: OutboxStoreOptions
  index: OutboxIndex
  /** Every id the store has held (a conflict's resend gets a new one). */
  known: Set<string>
  copy(entry: OutboxEntry): OutboxEntry
}

/**
 * Makes the server's row the stored one, if it is newer than every version the client has seen
 * of it: the row held, or a tombstone the stream brought while the answer was on its way (a
 * resend answered from the server's record carries the row as it was when first applied).
 */
function rebase({ options, index }: SettleContext, collection: string, k: string, row: Row | null, version: number | null): void {
  const rows = options.rowsOf(collection)
  const gone = options.tombstonesOf(collection)
  const held = index.baseOf(collection, k)
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

/**
 * Applies the server's answers to a batch in one synchronous step (docs/writes.md): an applied
 * write leaves the outbox as its canonical row becomes the stored one; a conflict is resolved by
 * `resolve` (the server's row stands, or the write is sent again on the server's version); a
 * refused write is rolled back and reported. Returns what Redux must show, as one action.
 */
export function settleAnswers(
  ctx: SettleContext,
  answers: Array<{ entry: OutboxEntry; result: MutationResult }>,
  resolve: Resolve,
  now: string,
): Settlement {
  const { options, index } = ctx
  const touched = new Map<string, { collection: string; key: Key }>()
  const settlement: Settlement = { changes: [], pending: [], applied: 0, conflicts: [], rejected: [], answered: [] }
  for (const { entry: sent, result } of answers) {
    const list = index.listOf(sent.collection, String(sent.key))
    const entry = list?.find((e) => e.id === sent.id)
    if (!list || !entry) continue
    const k = String(entry.key)
    touched.set(`${entry.collection}\u0000${k}`, { collection: entry.collection, key: entry.key })
    settleOne(ctx, { entry, list, result, resolve, now }, settlement)
  }
  for (const { collection, key } of touched.values()) {
    settlement.pending.push(index.count(collection, key))
    const change = index.changeOf(collection, key)
    const into = settlement.changes.find((c) => c.collection === collection)
    if (into) {
      into.upserted.push(...change.upserted)
      into.removed.push(...change.removed)
    } else settlement.changes.push(change)
  }
  if (touched.size > 0) options.changed(true)
  return settlement
}

/** One answer: the write leaves the outbox (applied, refused) or is resolved (conflict). */
function settleOne(
  ctx: SettleContext,
  { entry, list, result, resolve, now }: { entry: OutboxEntry; list: OutboxEntry[]; result: MutationResult; resolve: Resolve; now: string },
  settlement: Settlement,
): void {
  const { options, index, known, copy } = ctx
  const { outbox } = options
  const k = String(entry.key)
  const done = () => {
    outbox.remove(entry)
    index.drop(entry)
    settlement.answered.push(entry.id)
  }
  // The key's next write is based on the version this one leaves behind.
  const rebaseFollowing = (version: number | null, base: Row | null) => {
    const following = list[list.indexOf(entry) + 1]
    if (!following) return
    following.baseVersion = version
    following.base = base
    outbox.update(following)
  }
  if (result.status === 'applied') {
    settlement.applied++
    rebase(ctx, entry.collection, k, result.row, result.version)
    rebaseFollowing(result.version, result.row)
    done()
    return
  }
  if (result.status === 'rejected') {
    settlement.rejected.push({
      id: entry.id,
      collection: entry.collection,
      key: entry.key,
      op: entry.op,
      ...(entry.row ? { row: entry.row } : {}),
      error: { name: 'ReplicaError', code: result.error.code, message: result.error.message },
      at: now,
    })
    const held = index.baseOf(entry.collection, k)
    rebaseFollowing(held && typeof held.v === 'number' ? held.v : null, held?.r ?? null)
    done()
    return
  }
  rebase(ctx, entry.collection, k, result.row, result.version)
  const decision = resolve({ entry: copy(entry), server: result.row })
  if (decision === 'server') {
    // The server's row stands, and so do later writes of this key that built on the lost one: none.
    for (const dropped of list.slice(list.indexOf(entry))) {
      settlement.conflicts.push({ id: dropped.id, collection: dropped.collection, key: dropped.key, resolution: 'server' })
      settlement.answered.push(dropped.id)
      outbox.remove(dropped)
    }
    list.length = 0
    index.dropKey(entry.collection, k)
    return
  }
  // A new mutation (new id), based on the version the server has now.
  const resentAs = options.mutationId()
  settlement.conflicts.push({ id: entry.id, collection: entry.collection, key: entry.key, resolution: decision === 'client' ? 'client' : 'merged', resentAs })
  entry.id = resentAs
  known.add(entry.id)
  entry.baseVersion = result.version
  entry.base = result.row
  if (decision !== 'client') {
    entry.op = 'upsert'
    entry.row = decision.merged
  }
  outbox.update(entry)
}
