/**
 * The local store's own save scheduling, in place of Loki's autosave (which drops errors and clears
 * its dirty flags before the save is done). One save runs at a time and at most one waits behind
 * it: any number of flushes during a save share the next one. Changes are saved within `interval`
 * of the first change after a save, so a long sync writes once per interval, not once per page.
 *
 * Unless saves are slow: a save writes what changed, but a slow disk (or a migration's first save,
 * or a takeover's, which write everything) can take long, and saving every second would then take
 * most of the thread. A timed save therefore also waits `SLOW_SAVE_FACTOR` times the last save's
 * duration, so saving takes at most about a fifth of the time. Flushes (`flush()`, `close()`,
 * pagehide) never wait.
 */
export interface SaveQueue {
  /**
   * Something changed: make sure a save starts within the interval. With `soon = false` the change
   * only rides along with the next save (a flush, close, pagehide, or the next urgent change).
   */
  changed(soon?: boolean): void
  /** Resolves when everything changed before this call is saved; rejects with the save's error. */
  flush(): Promise<void>
  /** Cancels the timer. Pending flushes still complete. */
  stop(): void
}

export interface SaveQueueOptions {
  /** Runs one save. Must take its snapshot synchronously, before returning. */
  save(): Promise<void>
  /** Longest time, in ms, a change waits before a save starts. 0: as soon as possible. */
  interval: number
  /** Told after each save; `error` when it failed (changes stay pending and are retried). */
  onSaved(error?: unknown): void
  /** A clock in ms for timing saves; default `performance.now`. */
  now?: () => number
}

/** A timed save waits at least this many times as long as the last save took. */
export const SLOW_SAVE_FACTOR = 4

/** The save queue. (Long because it is a factory: its length is the short methods of the object it returns, closed over one shared state; splitting it would pass that state around instead.) */
export function createSaveQueue({ save, interval, onSaved, now = () => performance.now() }: SaveQueueOptions): SaveQueue {
  let lastSaveMs = 0
  let dirty = false
  let running: Promise<void> | undefined
  let queued: Promise<void> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false

  const arm = () => {
    if (timer === undefined && !stopped) {
      timer = setTimeout(() => {
        timer = undefined
        flush().catch(() => {}) // reported through onSaved
      }, Math.max(interval, SLOW_SAVE_FACTOR * lastSaveMs))
    }
  }
  const disarm = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }

  function start(): Promise<void> {
    dirty = false
    const began = now()
    const current = save().then(
      () => {
        lastSaveMs = now() - began
        onSaved()
      },
      (error: unknown) => {
        // What this save held is still unsaved: keep it pending and try again later.
        dirty = true
        arm()
        onSaved(error)
        throw error
      },
    )
    running = current
    const clear = () => {
      if (running === current) running = undefined
    }
    current.then(clear, clear)
    return current
  }

  function flush(): Promise<void> {
    disarm()
    if (queued) return queued
    if (!running) return dirty ? start() : Promise.resolve()
    if (!dirty) return running
    // The running save's snapshot may predate the latest changes: queue one more behind it.
    const next = running.catch(() => {}).then(() => {
      queued = undefined
      return start()
    })
    queued = next
    return next
  }

  return {
    changed(soon = true) {
      dirty = true
      if (soon) arm()
    },
    flush,
    stop() {
      stopped = true
      disarm()
    },
  }
}
