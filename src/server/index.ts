/**
 * redux-replica/server: the reference endpoint. One handler serves our pull protocol
 * (docs/protocol.md) and the 2015 endpoint shapes over SQLite or PostgreSQL. docs/server.md
 * explains mounting, versions, tombstones, cursors and limits.
 */
export { createReplicaHandler } from './handler.js'
export type { ReplicaHandler, ReplicaHandlerOptions } from './handler.js'
export type { LiveChannelOptions } from './live-channel.js'
export type { Authorize, AuthorizeContext, ReplicaAnswer, ReplicaRequest } from './context.js'
export { createReplicaServer } from './node-server.js'
export { sqliteSource } from './sqlite.js'
export type { SqliteSourceOptions } from './sqlite.js'
export { postgresSource } from './postgres.js'
export type { PostgresSourceOptions } from './postgres.js'
export { createReplicaWriter } from './writer.js'
export type { ReplicaWriter, WriteOptions } from './writer.js'
export { ReplicaError } from './errors.js'
export { isoMicros, nowMicros, normalizeTimestamp } from './timestamp.js'
export {
  exampleCollections,
  exampleData,
  exampleTimestamp,
  examplePostgresSchema,
  seedExampleData,
  seedExampleDataPostgres,
} from './example-data.js'
export type { ExampleContact, ExampleDataOptions, ExampleNote, ExampleProject, PgQueryable } from './example-data.js'
export type { CollectionConfig, CollectionsConfig, ReplicaSource, Scope, TableChanges, TableInfo } from './types.js'
export type { CurrentRow, MutationDecision, MutationPlan } from './push-plan.js'
export type { MutationOp, MutationResult, PushErrorCode, PushRequestBody, PushResponseBody, WireMutation } from '../core/pushWire.js'
