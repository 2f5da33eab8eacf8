export { createReplicaHooks } from './createReplicaHooks'
export type { ReplicaHooks, UseSubscriptionResult } from './createReplicaHooks'
