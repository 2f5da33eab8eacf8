import type Loki from 'lokijs'
import type { SetAsideReason } from './persistence'

/**
 * The stored format's version, kept in the database itself (`_replica_meta`). A database without
 * it, or with another version, was not written by this format of redux-replica and is set aside.
 * Bump FORMAT_VERSION whenever what is stored changes shape.
 */
export const FORMAT_VERSION = 1

export const META = '_replica_meta'

/** A document of `_replica_meta`. */
export interface MetaDoc {
  key: string
  value: unknown
}

/** Why a loaded database cannot be used, or undefined if it can. */
export function describeFormatProblem(meta: Loki.Collection<MetaDoc> | null): { reason: SetAsideReason; message: string } | undefined {
  if (!meta) return { reason: 'unreadable', message: 'it is not a redux-replica database (no format version)' }
  const stored = meta.by('key', 'format')?.value
  if (stored === FORMAT_VERSION) return undefined
  return {
    reason: 'incompatible',
    message: `it was written in format version ${JSON.stringify(stored)}; this version of redux-replica reads ${FORMAT_VERSION}`,
  }
}
