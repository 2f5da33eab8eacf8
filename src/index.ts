/**
 * `redux-replica`: what an app uses — createReplica, transports, persistence, managers, and the
 * types of its state, actions and options. Wire types and digest helpers, for servers and custom
 * transports, are in `redux-replica/protocol`; the reference server in `redux-replica/server`.
 */
export { createReplica } from './redux/createReplica'
export type { Replica, ReplicaOptions } from './redux/createReplica'
export { collection } from './core/collection'
export type { CollectionConfig, DefaultRow, RowOf, RowsOf } from './core/collection'
export { httpTransport } from './transport/httpTransport'
export type { HttpTransportOptions } from './transport/httpTransport'
export { seedTransport } from './transport/seedTransport'
export type { SeedTransportOptions } from './transport/seedTransport'
export { memoryPersistence } from './store/persistence'
export type {
  ChangeSet, CollectionChanges, Loaded, MemoryDatabase, Persistence, SetAsideReason, StorageConnection, StoredCollection, StoredDatabase, StoredDoc, TakeChanges, WriterRole,
} from './store/persistence'
export { filePersistence } from './store/filePersistence'
export type { FilePersistenceOptions, LogSizes } from './store/filePersistence'
export { indexedDbPersistence } from './store/indexedDbPersistence'
export type { IndexedDbLogSizes, IndexedDbPersistenceOptions } from './store/indexedDbPersistence'
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
export type { SyncState } from './state/syncSelectors'
export type { ReplicaStoreExt } from './redux/enhancer'
export type { ReplicaDevCheckOptions, ReplicaDevTools } from './state/devChecks'
export type { HydrationState, ReplicaState, StorageState, SubscriptionState, SubscriptionStatus } from './state/reducer'
export type { CollectionSelectors, RootStateWith } from './state/selectors'
export type { EntityState } from './state/entityState'
export type { EvictedPayload, HydratedSubscription, PageAppliedPayload, ReplicaActions, ReplicaInternalActions, ReplicaPublicActions } from './state/actions'
export { canonicalFilter, matchesFilter, scopeKey } from './core/scope'
export type { Scope, SubscribeOptions } from './core/scope'
export { ReplicaError } from './core/errors'
export type { ReplicaErrorCode } from './core/errors'
export type { Filter, FilterValue, Json, JsonPrimitive, Key, Version } from './core/protocol'
// A custom transport implements one of these; its wire types are in redux-replica/protocol.
export type { Row, Transport } from './core/pullWire'
export type { PushTransport } from './transport/httpPush'
export { httpPushTransport } from './transport/httpPush'
export { newId } from './core/ids'
export { mergeFields } from './engines/writes/mergeFields'
export type { FieldConflict, MergeFieldsOptions } from './engines/writes/mergeFields'
export type { WritesState } from './state/writesSlice'
export type { WriteState } from './state/writesSelectors'
export type {
  CollectionChange,
  ConflictDecision,
  ConflictInfo,
  ConflictOf,
  OutboxEntry,
  PendingCount,
  PushStatus,
  RejectedWrite,
  RemovePayload,
  ResolvedConflict,
  SavePayload,
} from './core/writeTypes'
export type { Settlement } from './store/outboxStore'
