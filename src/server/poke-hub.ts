import type { JsonPrimitive } from '../core/protocol.js'

/** The tracked fields of one row, before or after a write. */
export type RowImage = Readonly<Record<string, JsonPrimitive>>

/** One collection changed: in these rows (their tracked fields), or anywhere (`images` absent). */
export interface Poke {
  collection: string
  images?: readonly RowImage[]
}

/** A batch of pokes by collection: the images of the rows that changed, or null for "any row". */
export type PokeBatch = ReadonlyMap<string, readonly RowImage[] | null>

/** Past this many images of one collection in one batch, it becomes "any row": pokes stay small. */
const MAX_IMAGES = 256

/**
 * One process's fan-out of "these collections changed": sources announce (a SQLite write in this
 * process, a PostgreSQL NOTIFY from any process or from plain SQL), live channels listen. Pokes
 * that arrive within `windowMs` of each other go out as one: a burst of 1,000 writes becomes a
 * handful of pokes per connection, not 1,000.
 */
export interface PokeHub {
  publish(pokes: Iterable<Poke>): void
  /** Hear every (coalesced) batch; returns the unsubscribe. */
  subscribe(listener: (batch: PokeBatch) => void): () => void
  /** Drop pending pokes and every listener. */
  close(): void
}

export function createPokeHub(windowMs = 5): PokeHub {
  const listeners = new Set<(batch: PokeBatch) => void>()
  let pending = new Map<string, RowImage[] | null>()
  let timer: ReturnType<typeof setTimeout> | undefined

  const flush = () => {
    timer = undefined
    const batch = pending
    pending = new Map()
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
    publish(pokes) {
      if (listeners.size === 0) return
      for (const { collection, images } of pokes) {
        const held = pending.get(collection)
        if (held === null) continue
        if (!images || (held?.length ?? 0) + images.length > MAX_IMAGES) pending.set(collection, null)
        else pending.set(collection, [...(held ?? []), ...images])
      }
      if (pending.size > 0 && timer === undefined) timer = setTimeout(flush, windowMs)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    close() {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      pending.clear()
      listeners.clear()
    },
  }
}
