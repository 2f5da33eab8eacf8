import { watchCursor } from '../../transport/stalledCursor'
import type { LocalStore, RepairSession } from '../../store/localStore'
import { sameDigest } from '../../core/digestHash'
import type { PullTrigger, ReplicaEvent } from '../../runtime/events'
import type { CaughtUp, PullOptions } from './pull'
import { guardRequest } from '../../runtime/guardedTransport'
import type { RequestGuards } from '../../runtime/guardedTransport'
import { retry } from '../../runtime/retryer'
import type { BackoffPolicy } from '../../runtime/backoff'
import type { Transport } from '../../core/pullWire'

/**
 * The periodic digest check (docs/protocol.md, "Digest"; docs/live-sync.md): after a catch-up, at
 * most every `digestInterval`, compare the server's digest of a subscription up to its checkpoint
 * with the digest of the rows held for it; on a difference catch up again, and repair only when a
 * difference survives a catch-up that brought nothing.
 */

/** Default of `digestInterval`: ten minutes. */
export const DEFAULT_DIGEST_INTERVAL = 10 * 60_000

/** Rounds of check-and-catch-up before a difference that keeps moving is left to the next interval. */
export const MAX_DIGEST_ROUNDS = 3

/** How one sync operation ended (the loop's own outcome type). */
export type Outcome = 'synced' | 'exhausted' | 'stopped'

export interface DigestCheckContext {
  key: string
  collection: string
  filter: PullOptions['filter']
  store: LocalStore
  transport: Transport
  guards: RequestGuards
  backoff: BackoffPolicy
  /** ms between checks; 0 turns them off. */
  interval: number
  now: () => number
  emit: (event: ReplicaEvent) => void
  signal: AbortSignal
  /** Whether the last catch-up's final page said the server holds changes back. */
  heldBack(): boolean
  /** Catches up with retries (the loop's pull); resolves with how it ended and the changes it brought. */
  catchUp(trigger: PullTrigger): Promise<{ outcome: Outcome; received: number; heldBack: boolean }>
  /** Tells the app (event and state) that a repair ended with its sweep. */
  repaired(counts: { upserted: number; removed: number }): void
  /** Runs a repair's pull to its end with retries; `onPage` counts what it changed. */
  repair(session: RepairSession, trigger: PullTrigger): Promise<{ outcome: Outcome; upserted: number; removed: number }>
}

/**
 * Runs the check if one is due. Resolves `'stopped'` when a catch-up or the repair stopped the
 * subscription for good (the loop then ends), else `'done'`. A failed digest request never fails
 * the subscription: it is reported (`digestFailed`) and tried again after the interval.
 * Long (about 75 lines) because the check is one protocol (due? compare, catch up, compare again,
 * repair) whose early returns each say why no repair runs; splitting it would scatter those reasons.
 */
export async function checkDigestIfDue(ctx: DigestCheckContext): Promise<'done' | 'stopped'> {
  const { key, store, emit, signal } = ctx
  const digest = ctx.transport.digest?.bind(ctx.transport)
  if (!digest || ctx.interval <= 0) return 'done'
  const stored = store.subscription(key)
  if (!stored || stored.checkpoint === null) return 'done'
  const now = ctx.now()
  const stamp = () => new Date(ctx.now()).toISOString()
  if (stored.digestedAt === undefined) {
    // The first catch-up of a subscription pulled its whole scope: as good as a check.
    store.markDigested(key, stamp())
    return 'done'
  }
  const last = Date.parse(stored.digestedAt)
  if (now - last < ctx.interval && now >= last) return 'done'
  if (!ctx.guards.connectivity.isOnline()) return 'done'
  // The server's digest covers rows up to the checkpoint at their current versions: while changes
  // after it are held back, rows the client holds at older versions are missing from it. Compare
  // like with like, after a catch-up that is complete.
  const deferred = () => {
    emit({ type: 'digestDeferred', key, reason: 'held_back' })
    return 'done' as const
  }
  if (ctx.heldBack()) return deferred()

  for (let round = 1; ; round++) {
    const checkpoint = store.subscription(key)?.checkpoint ?? null
    if (checkpoint === null) return 'done'
    const { connectivity, timers } = ctx.guards
    // No retries: a failed check is reported and tried again after the interval.
    const answer = await retry(
      () => guardRequest(ctx.guards, signal, (s) => digest({ collection: ctx.collection, filter: ctx.filter, checkpoint, signal: s })),
      { key, connectivity, timers, backoff: ctx.backoff, retries: 0, signal, waitOffline: false },
    )
    if (!answer.ok) {
      emit({ type: 'digestFailed', key, error: answer.error })
      store.markDigested(key, stamp())
      return 'done'
    }
    const remote = answer.value
    signal.throwIfAborted()
    // Rows held at a version past the digest's reach (another subscription brought them, or a
    // push answer stored them ahead of the scope's next change) are not the server's to cover yet.
    const local = store.digest(key, remote.version === undefined ? {} : { upTo: remote.version }) ?? { count: 0, hash: 0 }
    const match = sameDigest(local, remote)
    emit({ type: 'digestChecked', key, match, round, local, remote: { count: remote.count, hash: remote.hash } })
    if (match) {
      store.markDigested(key, stamp())
      return 'done'
    }
    // Rows written after the checkpoint differ legitimately, and the next pull brings them.
    const caughtUp = await ctx.catchUp('digest')
    if (caughtUp.outcome === 'stopped') return 'stopped'
    if (caughtUp.outcome === 'exhausted') return 'done'
    if (caughtUp.heldBack) return deferred()
    if (caughtUp.received > 0) {
      if (round < MAX_DIGEST_ROUNDS) continue
      // Still moving: leave it to the next interval.
      store.markDigested(key, stamp())
      return 'done'
    }
    // Nothing after the checkpoint explains the difference: the store diverged. Repair.
    const session = store.beginRepair(key, remote.version === undefined ? {} : { reached: remote.version })
    const repaired = await ctx.repair(session, 'repair')
    if (repaired.outcome === 'stopped') return 'stopped'
    if (repaired.outcome === 'exhausted') return 'done'
    if (!session.swept) return deferred()
    // The sweep may have come with an empty last page, which the pull does not save for.
    await store.flush().catch(() => {})
    ctx.repaired({ upserted: repaired.upserted, removed: repaired.removed })
    store.markDigested(key, stamp())
    return 'done'
  }
}

/**
 * A repair's pull: pages from the session's own checkpoint (the beginning, at first) until the
 * server has no more, each applied through the session; the last one ends the repair. Resumable:
 * called again after a failure, it goes on from the last applied page.
 */
export async function pullRepair(options: Omit<PullOptions, 'store' | 'key'> & { session: RepairSession }): Promise<CaughtUp> {
  const { transport, session, collection, filter, primaryKey, pageSize, signal } = options
  const cursor = watchCursor()
  for (;;) {
    const asked = session.checkpoint
    const page = await transport.pull({ collection, filter, checkpoint: asked, limit: pageSize, primaryKey, signal })
    signal.throwIfAborted()
    cursor.check(asked, page)
    const applied = session.applyPage({ changes: page.changes, checkpoint: page.checkpoint, hasMore: page.hasMore, heldBack: page.heldBack === true })
    options.onPage(applied, page)
    if (!page.hasMore) return { heldBack: page.heldBack === true }
  }
}
