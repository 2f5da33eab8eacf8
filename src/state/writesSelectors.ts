import type { Key } from '../core/protocol'
import type { ReplicaState } from './reducer'
import { pendingKey } from './writesSlice'
import type { WritesState } from './writesSlice'
import type { RejectedWrite } from '../core/writeTypes'

/**
 * Where one local write stands: waiting for the server, accepted (`saved`), refused and rolled back
 * (`rejected`), or dropped by a conflict `onConflict` decided for the server (`overruled`).
 */
export type WriteState = 'pending' | 'saved' | 'rejected' | 'overruled'

/** Selectors of local writes (docs/writes.md). */
export function buildWriteSelectors<S>(select: (state: S) => ReplicaState) {
  return {
    /**
     * Pending counts, push status and refused writes, as kept in state.
     * @example const { status, total } = useSelector(replica.selectors.selectWrites)
     */
    selectWrites: (state: S): WritesState => select(state).writes,
    /**
     * Writes not yet acknowledged by the server: all of them, or one collection's.
     * @example selectPendingWrites(state)          // 3
     * @example selectPendingWrites(state, 'note')  // 2
     */
    selectPendingWrites: (state: S, collection?: string): number => {
      const writes = select(state).writes
      return collection === undefined ? writes.total : (writes.byCollection[collection] ?? 0)
    },
    /**
     * Whether a row has writes waiting for the server (show it as "saving…").
     * @example selectIsPending(state, 'note', note.id)
     */
    selectIsPending: (state: S, collection: string, key: Key): boolean => (select(state).writes.byKey[pendingKey(collection, key)] ?? 0) > 0,
    /**
     * Writes the server refused (each rolled back to the server's row), to show until dismissed
     * with `dismissRejectedWrite`.
     * @example selectRejectedWrites(state).map((w) => w.error.message)
     */
    selectRejectedWrites: (state: S): RejectedWrite[] => select(state).writes.rejected,
    /**
     * Where one write stands, by its write id (the `meta.writeId` of its `save` or `remove`
     * action). The last 50 writes that did not take effect are remembered as `rejected` or
     * `overruled`; an id this store has not seen reads `saved`.
     * @example const { meta } = dispatch(replica.actions.save({ collection: 'note', row })); selectWriteStatus(getState(), meta.writeId) // 'pending'
     */
    selectWriteStatus: (state: S, writeId: string): WriteState => {
      const writes = select(state).writes
      if (Object.hasOwn(writes.unanswered, writeId)) return 'pending'
      return Object.hasOwn(writes.unsaved, writeId) ? (writes.unsaved[writeId] as WriteState) : 'saved'
    },
  }
}
