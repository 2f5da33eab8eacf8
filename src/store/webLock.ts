/**
 * One writer per database, elected with the Web Locks API (`navigator.locks`): the connection that
 * holds the exclusive lock is the leader and may save; the others follow and wait for it. The
 * browser releases a lock when its tab (or worker) goes away, so the next waiter is granted it.
 */

/** What a connection may do with its database: save it (`leader`) or only read it (`follower`). */
export type StorageRole = 'leader' | 'follower'

/** The part of the Web Locks API used here (a `LockManager`); tests pass a fake. */
export interface LockManagerLike {
  request(
    name: string,
    options: { mode?: 'exclusive' | 'shared'; ifAvailable?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => unknown,
  ): Promise<unknown>
}

export interface WriterLock {
  /** `leader` once the lock is held. */
  readonly role: StorageRole
  /** Resolves when the lock is held: at once for a leader, when the leader lets go for a follower. Never rejects. */
  readonly held: Promise<void>
  /** Lets go of the lock, or stops waiting for it. */
  release(): void
}

/** The browser's lock manager, if there is one. */
export function browserLocks(): LockManagerLike | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks
  return typeof locks?.request === 'function' ? locks : undefined
}

/**
 * Takes the exclusive lock `name` if it is free, else queues for it. Resolves as soon as the role
 * is known: `leader` if it was free, otherwise `follower` (and `held` resolves later).
 */
export async function acquireWriterLock(locks: LockManagerLike, name: string): Promise<WriterLock> {
  let letGo!: () => void
  const kept = new Promise<void>((resolve) => (letGo = resolve))
  let role: StorageRole = 'follower'
  let granted!: () => void
  const held = new Promise<void>((resolve) => (granted = resolve))
  const hold = () => {
    role = 'leader'
    granted()
    return kept // the lock is held until this resolves
  }
  const ifFree = await new Promise<boolean>((resolve, reject) => {
    locks.request(name, { mode: 'exclusive', ifAvailable: true }, (lock) => {
      resolve(lock !== null)
      return lock === null ? undefined : hold()
    }).catch(reject)
  })
  const controller = new AbortController()
  if (!ifFree) {
    // Queued; released (aborted) if this connection closes before its turn.
    locks.request(name, { mode: 'exclusive', signal: controller.signal }, hold).catch(() => {})
  }
  return {
    get role() {
      return role
    },
    held,
    release() {
      controller.abort()
      letGo()
    },
  }
}
