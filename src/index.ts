export { createReplica } from './createReplica'
export type { Replica, ReplicaOptions } from './createReplica'
export { collection } from './collection'
export type { CollectionConfig, DefaultRow, RowOf, RowsOf } from './collection'
export { httpTransport } from './sync/httpTransport'
export type { HttpTransportOptions } from './sync/httpTransport'
export { seedTransport } from './sync/seedTransport'
export type { SeedTransportOptions } from './sync/seedTransport'
export type { Change, Checkpoint, DigestRequest, DigestResult, PullRequest, PullResult, Row, Transport } from './sync/transport'
export { digestAccumulator, fnv1a32 } from './sync/digestHash'
export type { Digest, DigestResponseBody } from './sync/digestHash'
export { memoryPersistence } from './store/persistence'
export type { Loaded, Persistence, SetAsideReason, StorageConnection, WriterRole } from './store/persistence'
export { filePersistence } from './store/filePersistence'
export type { FilePersistenceOptions } from './store/filePersistence'
export { indexedDbPersistence } from './store/indexedDbPersistence'
export type { IndexedDbPersistenceOptions } from './store/indexedDbPersistence'
export type { LockManagerLike, StorageRole } from './store/webLock'
export { FORMAT_VERSION } from './store/format'
export type { ReplicaHandle } from './sync/engine'
export type { LiveSyncOptions, RetryOptions, UnauthorizedInfo } from './sync/liveOptions'
export { createOnlineManager } from './sync/onlineManager'
export type { OnlineManager, OnlineManagerOptions, OnlineEventSetup } from './sync/onlineManager'
export { createFocusManager } from './sync/focusManager'
export type { FocusManager, FocusManagerOptions, FocusEventSetup } from './sync/focusManager'
export type { PullTrigger, ReplicaEvent } from './sync/events'
export type { Timers } from './sync/timers'
export { parseRetryAfter } from './sync/retryAfter'
export type { SyncState } from './redux/syncSelectors'
export type { ReplicaStoreExt } from './redux/enhancer'
export type { ReplicaDevCheckOptions, ReplicaDevTools } from './redux/devChecks'
export type { HydrationState, ReplicaState, StorageState, SubscriptionState, SubscriptionStatus } from './redux/reducer'
export type { CollectionSelectors, RootStateWith } from './redux/selectors'
export type { EntityState } from './redux/entityState'
export type { HydratedSubscription, PageAppliedPayload, ReplicaActions } from './redux/actions'
export { canonicalFilter, matchesFilter, scopeKey } from './subscriptions/scope'
export type { Scope, SubscribeOptions } from './subscriptions/scope'
export { ReplicaError, toSerializedError } from './errors'
export type { ReplicaErrorCode } from './errors'
export type * from './protocol'
export { httpPushTransport } from './writes/httpPush'
export type { PushRequest, PushTransport } from './writes/httpPush'
export { newId } from './writes/ids'
export type { WritesState } from './writes/reducer'
export type {
  CollectionChange,
  ConflictDecision,
  ConflictInfo,
  OutboxEntry,
  PendingCount,
  PushStatus,
  RejectedWrite,
  RemovePayload,
  ResolvedConflict,
  SavePayload,
} from './writes/types'
export type { Settlement } from './writes/outboxStore'
export type { MutationOp, MutationResult, PushErrorCode, PushRequestBody, PushResponseBody, WireMutation } from './writes/wire'
