/**
 * The local store's own save scheduling, in place of Loki's autosave (which drops errors and clears
 * its dirty flags before the save is done). One save runs at a time and at most one waits behind
 * it: any number of flushes during a save share the next one. Changes are saved within `interval`
 * of the first change after a save, so a long sync writes once per interval, not once per page.
 *
 * A timed save waits the interval, however long the last save took. A save costs what changed, so
 * waiting longer after a slow one only makes the next one bigger: spacing saves by a multiple of
 * the last one's length (as when every save rewrote the whole database) made the saves of a
 * 1,000,000-row catch-up grow to 300,000 documents, each taking the change in one long step. A
 * slow disk still spaces saves out by itself: while one runs, the changes gather for the next.
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
}

/** The save queue. (Long because it is a factory: its length is the short methods of the object it returns, closed over one shared state; splitting it would pass that state around instead.) */
export function createSaveQueue({ save, interval, onSaved }: SaveQueueOptions): SaveQueue {
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
      }, interval)
    }
  }
  const disarm = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }

  function start(): Promise<void> {
    dirty = false
    const current = save().then(
      () => onSaved(),
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
