import type { Authorize, ReplicaRequest } from './context.js'
import type { CollectionsConfig, ReplicaSource } from './types.js'
import type { LiveChannelOptions } from './live-channel.js'

/** Options of {@link createReplicaHandler}. */
export interface ReplicaHandlerOptions {
  /**
   * Where rows come from.
   * @example { source: sqliteSource({ db: './data/app.db' }) }
   * @example { source: postgresSource({ pool: new pg.Pool() }) }
   */
  source: ReplicaSource
  /**
   * The allow-list: collections by name, each a table with its filterable fields.
   * @example { collections: { note: { table: 'notes', filterable: ['project_id'] } } }
   */
  collections: CollectionsConfig
  /**
   * Who is calling and what may they read. Required: pass `() => ({})` to serve everything to
   * everyone. Return a scope (ANDed into every query), `null` (401) or `false` (403), or throw a
   * `ReplicaError`.
   * @example
   * authorize: (req) => {
   *   const user = sessions.get(req.headers.get('authorization') ?? '')
   *   return user ? { project_id: user.projectIds } : null
   * }
   */
  authorize: Authorize
  /**
   * Path prefix of our protocol's endpoints: the pull answers at `${basePath}/pull`, the digest
   * (docs/protocol.md) at `${basePath}/digest`. Requests for
   * other paths get `404 not_found`, or go to `next()` in the node face when one is given.
   * @default ''
   * @example { basePath: '/replica' } // GET /replica/pull?collection=note
   */
  basePath?: string
  /**
   * Paths of the 2015 endpoints (absolute, not under `basePath`), or false to turn one or both off.
   * @default { offline: '/offline/download_updated', replicatedDb: '/replicated_db/download_updates' }
   * @example { seedEndpoints: false }
   * @example { seedEndpoints: { offline: '/api/offline/download_updated', replicatedDb: false } }
   */
  seedEndpoints?: false | { offline?: string | false; replicatedDb?: string | false }
  /**
   * Page sizes of the 2015 endpoints: the blog's controller used 250, the example repository 1000.
   * @default { offline: 250, replicatedDb: 1000 }
   * @example { seedPageSize: { replicatedDb: 250 } }
   */
  seedPageSize?: { offline?: number; replicatedDb?: number }
  /**
   * Largest `limit` a client may ask for; more is `400 bad_limit`.
   * @default 1000
   * @example { maxPageSize: 500 }
   */
  maxPageSize?: number
  /**
   * Page size when the client sends no `limit`.
   * @default 250 (or maxPageSize if smaller)
   * @example { defaultPageSize: 100 }
   */
  defaultPageSize?: number
  /**
   * Most fields in one filter (`400 bad_filter` beyond).
   * @default 16
   * @example { maxFilterFields: 4 }
   */
  maxFilterFields?: number
  /**
   * Most values in one filter, all IN lists together (`400 bad_filter` beyond).
   * @default 1000
   * @example { maxInValues: 200 }
   */
  maxInValues?: number
  /**
   * Longest string filter value, in characters (`400 bad_filter` beyond).
   * @default 1024
   * @example { maxValueLength: 256 }
   */
  maxValueLength?: number
  /**
   * Longest request target (path plus query string), in characters (`414 too_large` beyond).
   * {@link createReplicaServer} sizes node's header limit above this so the answer is ours.
   * @default 32768
   * @example { maxQueryLength: 8192 }
   */
  maxQueryLength?: number
  /**
   * Largest request body, by Content-Length (`413 too_large` beyond). The endpoints are GETs;
   * this refuses large uploads without reading them.
   * @default 65536
   * @example { maxBodyBytes: 0 }
   */
  maxBodyBytes?: number
  /**
   * Key that signs cursors (16 bytes or more). Without it a random key is made per process, so
   * cursors stop working when the server restarts (clients get `400 bad_cursor`): set it in
   * production, the same on every instance.
   * @example { cursorSecret: process.env.REPLICA_CURSOR_SECRET }
   */
  cursorSecret?: string | Uint8Array
  /**
   * When pull answers carry `remaining` (rows after this page). `'first'`: on the first page of a
   * sync (no cursor) and whenever nothing is left (0, free); `true`: on every page, at the cost of
   * a COUNT over the rest of the subscription per page (about 4x the cost of the pull itself over
   * 100,000 rows, see docs/server.md); `false`: never.
   * @default 'first'
   * @example { remaining: true }
   */
  remaining?: boolean | 'first'
  /**
   * Seconds a browser may keep a pull page that is fully in the past (`hasMore: true`), sent as
   * `Cache-Control: private, max-age=N` with an `ETag` (a matching `If-None-Match` gets `304`).
   * Such a page stays a correct answer forever; its rows may only have been rewritten since, and
   * the stream after its cursor brings those. The last page of a pull is never cached, and no
   * page is ever `public` (docs/server.md, "HTTP caching"). `0` sends `no-store` on every page.
   * @default 300
   * @example { pageMaxAge: 0 }
   */
  pageMaxAge?: number
  /**
   * Called with every unexpected error (answered `500 internal`).
   * @default console.error
   * @example { onError: (err) => logger.error(err) }
   */
  onError?: (error: unknown) => void
  /**
   * Serve `POST ${basePath}/push`, where clients' local writes arrive (docs/writes.md). Each
   * collection's `writable` option and the caller's `authorize` scope limit what may be written.
   * `true` without any writable collection is a start-up error.
   * @default true when some collection lists `writable` columns, else false
   * @example { push: false } // a read-only server
   */
  push?: boolean
  /**
   * Origins whose browser pages may push (checked against the `Origin` header: another origin
   * gets `403 forbidden`), as a list or a function. Requests without an `Origin` (native apps,
   * servers) are not affected. Set it when `authorize` trusts cookies: a page of any site can make
   * a browser send them.
   * @default undefined (no origin check)
   * @example { allowedOrigins: ['https://app.example.com'] }
   * @example { allowedOrigins: (origin, req) => origin === `https://${req.headers.get('host')}` } // same origin
   */
  allowedOrigins?: readonly string[] | ((origin: string, request: ReplicaRequest) => boolean)
  /**
   * How long a pushed mutation id is remembered (its answer is replayed to a resend), in
   * milliseconds. Older records are deleted, at most once a minute, after a push. A client resending
   * a mutation after longer than this has it applied again against `baseVersion`, which answers a
   * conflict rather than writing twice.
   * @default 2592000000 (30 days)
   * @example { keepMutationIdsFor: 7 * 24 * 3600 * 1000 } // a week
   */
  keepMutationIdsFor?: number
  /**
   * Costly reads (digests, `remaining` counts, the example-repository endpoint's count) running at
   * once; more wait in a queue of `maxQueuedScans`, beyond which they get `503 busy` with
   * `Retry-After`. Keeps one caller from starving the others.
   * @default 2
   * @example { maxConcurrentScans: 4 }
   */
  maxConcurrentScans?: number
  /**
   * Costly reads waiting for a turn (each at most `scanTimeoutMs`); more get `503 busy`.
   * @default 16
   * @example { maxQueuedScans: 64 }
   */
  maxQueuedScans?: number
  /**
   * Milliseconds one costly read may run (PostgreSQL: `statement_timeout`; SQLite: between the
   * chunks it reads), and may wait for its turn; past it: `503 busy` with `Retry-After`.
   * @default 10000
   * @example { scanTimeoutMs: 3000 }
   */
  scanTimeoutMs?: number
  /**
   * Most rows one costly read may go through: a digest over more answers `413 too_large`; a count
   * stops there (`remaining`, `availableUpdatesCount` are then at most this).
   * @default 1000000
   * @example { maxScanRows: 200000 }
   */
  maxScanRows?: number
  /**
   * Largest push body, in bytes (`413 too_large` beyond; read up to this much, never more).
   * @default 1048576
   * @example { maxPushBytes: 262144 }
   */
  maxPushBytes?: number
  /**
   * Most mutations in one push (`413 too_large` beyond). The client sends 100 at most by default.
   * @default 500
   * @example { maxPushMutations: 100 }
   */
  maxPushMutations?: number
  /**
   * The live channel, `GET ${basePath}/live?collection=a&collection=b`: a Server-Sent Events
   * stream of pokes naming changed collections, authorized like a pull (docs/live-sync.md).
   * `httpTransport` opens it by default, so a write reaches clients in milliseconds instead of at
   * their next poll. `false` turns it off (clients then poll).
   * @default { maxConnections: 10000, heartbeatMs: 15000, maxAgeMs: 300000 }
   * @example { live: { maxConnections: 2000 } }
   * @example { live: false }
   */
  live?: false | LiveChannelOptions
}
