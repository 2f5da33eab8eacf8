import type { Schedule } from './schedule'

/**
 * Schedules that once failed, shrunk, kept so that every run tries them first (fast-check's
 * `examples`). Each names what it caught.
 */
export const knownSchedules: Record<string, Schedule> = {
  /** Issue 9, bug 1: a row held only by a stopped stream outlived its tombstone. */
  tombstoneOfAStoppedHolder: {
    clients: 2,
    start: [[0], []],
    steps: [{ do: 'unsubscribe', c: 0, f: 0 }, { do: 'serverDelete', pick: 0 }, { do: 'subscribe', c: 0, f: 1 }],
  },
  /** Issue 9, bug 1: a row stored from a push answer, held by nobody, outlived its tombstone. */
  tombstoneOfAPushedRow: {
    clients: 3,
    start: [[], [], []],
    steps: [{ do: 'fault', c: 1, kind: 'drop', on: 'pull', n: 1 }, { do: 'create', c: 1, p: 1 }, { do: 'subscribe', c: 1, f: 0 }, { do: 'serverDelete', pick: 0 }],
  },
  /** Issue 9, bug 1: a pull from the beginning did not sweep a row no stream vouched for. */
  sweepOnFirstCatchUp: {
    clients: 2,
    start: [[], [1]],
    steps: [{ do: 'unsubscribe', c: 1, f: 1 }, { do: 'serverDeleteBehindTheBack', pick: 16 }, { do: 'subscribe', c: 1, f: 2 }, { do: 'serverMove', pick: 0, p: 1 }],
  },
  /** Issue 9, bug 2: a late push answer (the first lost, the resend held) brought a deleted row back. */
  latePushAnswer: {
    clients: 2,
    start: [[0], []],
    steps: [
      { do: 'fault', c: 0, kind: 'lose', on: 'push', n: 1 },
      { do: 'fault', c: 0, kind: 'hold', on: 'push', n: 1 },
      { do: 'create', c: 0, p: 1 },
      { do: 'tick', ms: 2_000 },
      { do: 'serverDelete', pick: 0 },
      { do: 'focus', c: 0 },
      { do: 'tick', ms: 2_000 },
      { do: 'release', c: 0 },
    ],
  },
  /** Issue 9, bug 3 (PostgreSQL): a digest check "repaired" while a slow transaction held the horizon. */
  digestWhileHeldBack: {
    clients: 3,
    start: [[], [], []],
    steps: [{ do: 'slowBegin', change: 'insert', pick: 0, p: 1 }, { do: 'subscribe', c: 0, f: 0 }, { do: 'serverDelete', pick: 0 }, { do: 'digestDue' }],
  },
  /**
   * A tombstone passed by a new stream while a running stream still held the row; that stream then
   * stopped, and the row stayed in the new subscription's view.
   */
  keptForAHolderThatStopped: {
    clients: 2,
    start: [[], []],
    steps: [{ do: 'subscribe', c: 0, f: 1 }, { do: 'serverDelete', pick: 39 }, { do: 'subscribe', c: 0, f: 0 }, { do: 'unsubscribe', c: 0, f: 1 }],
  },
  /**
   * A divergence on purpose: a row a push answer stored above a subscription's cursor, deleted
   * behind the stream's back, escaped the digest (it covers versions up to the cursor only).
   */
  pushedRowAboveTheCursor: {
    clients: 2,
    start: [[], [2]],
    steps: [{ do: 'edit', c: 1, pick: 0 }, { do: 'serverDeleteBehindTheBack', pick: 1 }, { do: 'focus', c: 0 }],
  },
}
