import type Loki from 'lokijs'
import type { Version } from '../core/protocol'
import { compareVersions } from '../core/versions'

/** The Loki collection of tombstone versions, saved with the data. */
export const TOMBSTONES = '_replica_tombstones'

/** A tombstone remembered for a key no longer held: `id` is `collection \0 key`. */
export interface TombstoneDoc {
  id: string
  v: Version
}

/**
 * The highest tombstone version seen for each key of one collection that the client does not
 * hold, so that no source hands it back at an older version: a push answer resent after the stream
 * passed the row's delete, or another subscription's stream that has not reached the delete yet.
 * Only keys that were held or had pending writes when their tombstone passed are remembered, and a
 * key's entry goes when a version at least as new is stored.
 */
export interface TombstoneMemory {
  /** Whether a row at `version` may be stored: it is not older than the key's tombstone. */
  admits(k: string, version: Version): boolean
  /** Remembers a tombstone (the highest version wins). */
  record(k: string, version: Version): void
  /** A version at least as new as the tombstone is stored now: the row itself carries it. */
  forget(k: string): void
}

/** The collection and key of every tombstone remembered (`id` split back into its parts). */
export function* rememberedTombstones(docs: Loki.Collection<TombstoneDoc>): Iterable<{ collection: string; k: string; v: Version }> {
  for (const doc of docs.data) {
    const at = doc.id.indexOf('\u0000')
    if (at > 0) yield { collection: doc.id.slice(0, at), k: doc.id.slice(at + 1), v: doc.v }
  }
}

export function tombstoneMemory(docs: Loki.Collection<TombstoneDoc>, collection: string): TombstoneMemory {
  const id = (k: string) => `${collection}\u0000${k}`
  return {
    admits(k, version) {
      // Almost always none are remembered (every row of a sync asks): no key to build, no lookup.
      if (docs.data.length === 0) return true
      const doc = docs.by('id', id(k))
      return !doc || compareVersions(version, doc.v) >= 0
    },
    record(k, version) {
      const doc = docs.by('id', id(k))
      if (!doc) docs.insert({ id: id(k), v: version })
      else if (compareVersions(version, doc.v) > 0) {
        doc.v = version
        docs.update(doc)
      }
    },
    forget(k) {
      if (docs.data.length === 0) return
      const doc = docs.by('id', id(k))
      if (doc) docs.remove(doc)
    },
  }
}
