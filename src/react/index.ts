export { createReplicaHooks } from './createReplicaHooks'
export type { ReplicaHooks } from './createReplicaHooks'
export { skipToken } from './skipToken'
export type { SkipToken } from './skipToken'
export type {
  RemoveDispatcher, ReplicaSyncStatus, SaveDispatcher, UseRowOptions, UseRowResult, UseSubscriptionOptions,
  UseSubscriptionResult, WriteRef, WriteStatus,
} from './hookTypes'
