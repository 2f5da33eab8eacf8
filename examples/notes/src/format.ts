import type { Note } from './replica'

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const numberFormat = new Intl.NumberFormat()

/** A server timestamp (ISO, microseconds) as a person reads it: "19 Mar 2015, 20:14". */
export function readableDate(iso: string | undefined): string {
  if (!iso) return ''
  // Date parses at most milliseconds reliably.
  const date = new Date(iso.replace(/(\.\d{3})\d+/, '$1'))
  return Number.isNaN(date.getTime()) ? '' : dateFormat.format(date)
}

/** "1 note", "10,000 notes". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${numberFormat.format(n)} ${n === 1 ? one : many}`
}

export const formatNumber = (n: number) => numberFormat.format(n)

/**
 * Newest first, by id: an order every row keeps however the sync fills the list (timestamps are
 * shared by hundreds of seeded rows). Ids made here (`newId()`, text, time-ordered) come before
 * the seed's integers, as they were made after them.
 */
export function newestFirst(a: Note, b: Note): number {
  if (typeof a.id !== typeof b.id) return typeof a.id === 'string' ? -1 : 1
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0
}
