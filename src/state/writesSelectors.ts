import type { Key } from '../core/protocol'
import type { ReplicaState } from './reducer'
import { pendingKey } from './writesSlice'
import type { WritesState } from './writesSlice'
import type { RejectedWrite } from '../core/writeTypes'

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
  }
}
