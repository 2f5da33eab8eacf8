import { ReplicaError } from '../core/errors'
import type { Checkpoint, PullResult } from '../core/pullWire'

/**
 * Watches one run of pages for a cursor that does not move: an empty page that says more remain
 * (`malformed_page`), a page with rows that ends at the
 * checkpoint it was asked from, or that brings exactly the rows of the page before it. Asking
 * again would bring the same page forever (a request loop that never reports anything), so the
 * pull stops with `cursor_stalled` instead; what earlier pages brought stays.
 *
 * The usual cause is a cursor that loses precision on its way through the server: the 2015 Rails
 * endpoint renders `updated_at` to milliseconds by default while the database keeps microseconds,
 * so rows within one millisecond come back again and again.
 */
export function watchCursor() {
  let previous: string | undefined
  return {
    /** Throws when `page`, asked from `asked`, gives no reason to ask again from somewhere new. */
    check(asked: Checkpoint | null, page: PullResult): void {
      if (page.changes.length === 0) {
        if (page.hasMore) throw new ReplicaError('malformed_page', 'Malformed page: the server said more rows remain but sent none')
        return
      }
      const fingerprint = page.changes.map((c) => `${JSON.stringify(c.key)}@${JSON.stringify(c.version)}`).join('\n')
      if (sameCheckpoint(page.checkpoint, asked)) throw stalled(`a page of ${page.changes.length} rows ended at the cursor it was asked from (${JSON.stringify(asked)})`)
      if (fingerprint === previous) throw stalled(`a page repeated the ${page.changes.length} rows of the page before it`)
      previous = fingerprint
    },
  }
}

/** Checkpoints are JSON; the same JSON is the same position. */
export function sameCheckpoint(a: Checkpoint | null, b: Checkpoint | null): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b)
}

function stalled(what: string): ReplicaError {
  return new ReplicaError(
    'cursor_stalled',
    `The sync stopped because the server's cursor does not advance: ${what}, so asking again would loop forever. ` +
      'The likely cause is a cursor that loses precision on the server, such as timestamps rendered to milliseconds ' +
      'over rows stored with microseconds (rows sharing a millisecond come back again and again). ' +
      'For Rails, keep microseconds in JSON: ActiveSupport::JSON::Encoding.time_precision = 6 (in an initializer). ' +
      'The rows received so far are kept; the subscription resumes from its cursor when subscribed again.',
  )
}
