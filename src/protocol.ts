/**
 * `redux-replica/protocol`: what a server or a custom transport needs and an app does not — the
 * wire types of the pull, push and seed endpoints (docs/protocol.md), the transport contract, the
 * digest hash, and the errors a transport throws. The reference server (`redux-replica/server`)
 * is built on these alone.
 */
export type * from './core/protocol'
export { VERSION_FIELD, DELETED_FIELD } from './core/protocol'
export type { Change, Checkpoint, DigestRequest, DigestResult, PullRequest, PullResult, Row, Transport } from './core/pullWire'
export type { MutationOp, MutationResult, PushErrorCode, PushRequestBody, PushResponseBody, WireMutation } from './core/pushWire'
export type { PushRequest, PushTransport } from './transport/httpPush'
export { digestAccumulator, fnv1a32 } from './core/digestHash'
export type { Digest, DigestResponseBody } from './core/digestHash'
export { parseRetryAfter } from './transport/retryAfter'
export { ReplicaError, toSerializedError } from './core/errors'
export type { ReplicaErrorCode } from './core/errors'
