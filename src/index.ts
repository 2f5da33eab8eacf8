export { createReplica } from './redux/createReplica'
export type { Replica, ReplicaOptions } from './redux/createReplica'
export { collection } from './core/collection'
export type { CollectionConfig, DefaultRow, RowOf, RowsOf } from './core/collection'
export { httpTransport } from './transport/httpTransport'
export type { HttpTransportOptions } from './transport/httpTransport'
export { seedTransport } from './transport/seedTransport'
export type { SeedTransportOptions } from './transport/seedTransport'
export type { Change, Checkpoint, DigestRequest, DigestResult, PullRequest, PullResult, Row, Transport } from './core/pullWire'
export { digestAccumulator, fnv1a32 } from './core/digestHash'
export type { Digest, DigestResponseBody } from './core/digestHash'
export { memoryPersistence } from './store/persistence'
export type { Loaded, Persistence, SetAsideReason, StorageConnection, WriterRole } from './store/persistence'
export { filePersistence } from './store/filePersistence'
export type { FilePersistenceOptions } from './store/filePersistence'
export { indexedDbPersistence } from './store/indexedDbPersistence'
export type { IndexedDbPersistenceOptions } from './store/indexedDbPersistence'
export type { LockManagerLike, StorageRole } from './store/webLock'
export { FORMAT_VERSION } from './store/format'
export type { ReplicaHandle } from './engines/sync/engine'
export type { LiveSyncOptions, RetryOptions, UnauthorizedInfo } from './engines/liveOptions'
export { createOnlineManager } from './runtime/onlineManager'
export type { OnlineManager, OnlineManagerOptions, OnlineEventSetup } from './runtime/onlineManager'
export { createFocusManager } from './runtime/focusManager'
export type { FocusManager, FocusManagerOptions, FocusEventSetup } from './runtime/focusManager'
export type { PullTrigger, ReplicaEvent } from './runtime/events'
export type { Timers } from './runtime/timers'
export { parseRetryAfter } from './transport/retryAfter'
export type { SyncState } from './state/syncSelectors'
export type { ReplicaStoreExt } from './redux/enhancer'
export type { ReplicaDevCheckOptions, ReplicaDevTools } from './state/devChecks'
export type { HydrationState, ReplicaState, StorageState, SubscriptionState, SubscriptionStatus } from './state/reducer'
export type { CollectionSelectors, RootStateWith } from './state/selectors'
export type { EntityState } from './state/entityState'
export type { HydratedSubscription, PageAppliedPayload, ReplicaActions } from './state/actions'
export { canonicalFilter, matchesFilter, scopeKey } from './core/scope'
export type { Scope, SubscribeOptions } from './core/scope'
export { ReplicaError, toSerializedError } from './core/errors'
export type { ReplicaErrorCode } from './core/errors'
export type * from './core/protocol'
export { httpPushTransport } from './transport/httpPush'
export type { PushRequest, PushTransport } from './transport/httpPush'
export { newId } from './core/ids'
export type { WritesState } from './state/writesReducer'
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
} from './core/writeTypes'
export type { Settlement } from './store/outboxStore'
export type { MutationOp, MutationResult, PushErrorCode, PushRequestBody, PushResponseBody, WireMutation } from './core/pushWire'
