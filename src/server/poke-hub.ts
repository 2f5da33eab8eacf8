/**
 * One process's fan-out of "these collections changed": sources announce (a SQLite write in this
 * process, a PostgreSQL NOTIFY from any process or from plain SQL), live channels listen. Pokes
 * that arrive within `windowMs` of each other go out as one: a burst of 1,000 writes becomes a
 * handful of pokes per connection, not 1,000.
 */
export interface PokeHub {
  /** Announce changed collections (names as configured in `collections`). */
  publish(collections: Iterable<string>): void
  /** Hear every (coalesced) poke; returns the unsubscribe. */
  subscribe(listener: (collections: ReadonlySet<string>) => void): () => void
  /** Listeners now (open live connections). */
  readonly size: number
  /** Drop pending pokes and every listener. */
  close(): void
}

export function createPokeHub(windowMs = 5): PokeHub {
  const listeners = new Set<(collections: ReadonlySet<string>) => void>()
  let pending = new Set<string>()
  let timer: ReturnType<typeof setTimeout> | undefined

  const flush = () => {
    timer = undefined
    const batch = pending
    pending = new Set()
    // A listener that throws (a socket gone bad) must not keep the others from hearing.
    for (const listener of [...listeners]) {
      try {
        listener(batch)
      } catch {
        listeners.delete(listener)
      }
    }
  }

  return {
    publish(collections) {
      for (const c of collections) pending.add(c)
      if (pending.size > 0 && timer === undefined && listeners.size > 0) timer = setTimeout(flush, windowMs)
      if (listeners.size === 0) pending.clear()
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    get size() {
      return listeners.size
    },
    close() {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      pending.clear()
      listeners.clear()
    },
  }
}
