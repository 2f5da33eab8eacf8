import type { Timers } from '../../src'

interface Pending {
  id: number
  due: number
  callback: () => void
}

/**
 * One clock for the whole world of a schedule: the replicas' `now` and the timers their loops
 * wait on (retries, probes, request timeouts). Time moves only when the schedule says so, so a
 * retry happens at a step of the schedule, not whenever the machine gets round to it.
 */
export function virtualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start
  let nextId = 1
  const pending: Pending[] = []
  const timers: Timers = {
    setTimeout(callback, ms) {
      const id = nextId++
      pending.push({ id, due: now + Math.max(0, ms), callback })
      return id
    },
    clearTimeout(handle) {
      const at = pending.findIndex((p) => p.id === handle)
      if (at >= 0) pending.splice(at, 1)
    },
  }
  return {
    now: () => now,
    timers,
    /**
     * Moves time forward by `ms`, firing due timers one at a time in order of due time (then of
     * creation), and letting the world settle after each, so timers the fired ones set are fired
     * too if they fall within the span.
     */
    async advance(ms: number, settle: () => Promise<void>) {
      const target = now + ms
      for (;;) {
        let next: Pending | undefined
        for (const p of pending) if (p.due <= target && (!next || p.due < next.due || (p.due === next.due && p.id < next.id))) next = p
        if (!next) break
        pending.splice(pending.indexOf(next), 1)
        now = Math.max(now, next.due)
        next.callback()
        await settle()
      }
      now = target
    },
  }
}

export type VirtualClock = ReturnType<typeof virtualClock>
