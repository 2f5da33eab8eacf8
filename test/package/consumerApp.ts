/**
 * The files of a fresh app that installs redux-replica from its tarball: one script body run as
 * ESM and as CommonJS (only the imports differ), and a TypeScript file typechecked under
 * moduleResolution `bundler` and `node16`.
 */

/**
 * Starts the reference server over a SQLite file, syncs its notes into a Redux store kept in a file
 * (compacted after every save: the compaction worker runs from the built package), prints a JSON
 * summary.
 */
const scriptBody = `
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replica-consumer-'))
const source = sqliteSource({ db: path.join(dir, 'app.db') })
seedExampleData(source.db, { contacts: 20, notes: 600 })
const handler = createReplicaHandler({ source, collections: exampleCollections, authorize: () => ({}), basePath: '/replica' })
await handler.ready()
const server = createReplicaServer(handler)
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))

const replica = createReplica({
  collections: { note: {} },
  transport: httpTransport({ url: 'http://127.0.0.1:' + server.address().port + '/replica' }),
  persistence: filePersistence(path.join(dir, 'replica.db'), { compactWhen: () => true }),
})
const store = configureStore({
  reducer: { [replica.reducerPath]: replica.reducer },
  middleware: (gDM) => gDM(replica.devCheckOptions).concat(replica.middleware),
  enhancers: (gDE) => gDE().concat(replica.enhancer),
})
const notes = { collection: 'note', filter: { project_id: 1 } }
store.dispatch(replica.actions.subscribe(notes))
await new Promise((resolve) => {
  const check = () => replica.selectors.selectSubscription(store.getState(), notes).status === 'synced' && resolve()
  store.subscribe(check)
  check()
})
let missingDriver = ''
try {
  postgresSource({ connectionString: 'postgres://127.0.0.1:1/none' })
} catch (error) {
  missingDriver = error.message
}
// A compacted log starts with a snapshot record that says how many records it has.
let compacted = false
for (let tries = 0; tries < 500 && !compacted; tries++) {
  await new Promise((resolve) => setTimeout(resolve, 20))
  compacted = fs.readFileSync(path.join(dir, 'replica.db')).subarray(0, 200).includes('"parts":')
}
console.log(JSON.stringify({ notes: replica.selectors.note.selectTotal(store.getState()), missingDriver, compacted }))
await store.replica.close()
await new Promise((resolve) => server.close(resolve))
await source.close()
fs.rmSync(dir, { recursive: true, force: true })
`

export const esmScript = `import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { configureStore } from '@reduxjs/toolkit'
import { createReplica, filePersistence, httpTransport } from 'redux-replica'
import { createReplicaHandler, createReplicaServer, exampleCollections, postgresSource, seedExampleData, sqliteSource } from 'redux-replica/server'
${scriptBody}`

export const cjsScript = `const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { configureStore } = require('@reduxjs/toolkit')
const { createReplica, filePersistence, httpTransport } = require('redux-replica')
const { createReplicaHandler, createReplicaServer, exampleCollections, postgresSource, seedExampleData, sqliteSource } = require('redux-replica/server')
;(async () => {
${scriptBody}
})().catch((error) => {
  console.error(error)
  process.exit(1)
})`

/** What a TypeScript app writes: the types must resolve and infer through the package's exports. */
export const consumerTs = `import { configureStore } from '@reduxjs/toolkit'
import { collection, createReplica, httpTransport, memoryPersistence } from 'redux-replica'
import type { SubscriptionState } from 'redux-replica'
import { fnv1a32 } from 'redux-replica/protocol'
import type { PullResult, Transport } from 'redux-replica/protocol'
import { createReplicaHandler, sqliteSource } from 'redux-replica/server'

// A custom transport, typed by the protocol subpath.
export const emptyTransport: Transport = { pull: async (): Promise<PullResult> => ({ changes: [], checkpoint: null, hasMore: false }) }
export const hash: number = fnv1a32('note')

interface Note { id: number; project_id: number; body: string }

const replica = createReplica({
  collections: { note: collection<Note>() },
  transport: httpTransport({ url: 'http://127.0.0.1:3000/replica' }),
  persistence: memoryPersistence(),
})
export const store = configureStore({
  reducer: { [replica.reducerPath]: replica.reducer },
  middleware: (gDM) => gDM(replica.devCheckOptions).concat(replica.middleware),
  enhancers: (gDE) => gDE().concat(replica.enhancer),
  devTools: replica.devTools,
})
const bodies: string[] = replica.selectors.note.selectAll(store.getState()).map((n) => n.body)
const status: SubscriptionState['status'] = replica.selectors.selectSubscription(store.getState(), { collection: 'note', filter: {} }).status
// @ts-expect-error: a Note has no field 'title'
replica.selectors.note.selectAll(store.getState())[0]?.title

export const handler = createReplicaHandler({
  source: sqliteSource({ db: ':memory:' }),
  collections: { note: { table: 'notes', filterable: ['project_id'] } },
  authorize: () => ({}),
})
export { bodies, status }
`

/** A tsconfig for one module resolution; strict, as a careful app would have it. */
export const tsconfig = (moduleResolution: 'bundler' | 'node16') =>
  JSON.stringify({
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      module: moduleResolution === 'bundler' ? 'ESNext' : 'Node16',
      moduleResolution,
      types: ['node'],
      skipLibCheck: true,
    },
    // Under node16 the .cts twin resolves the package's \`require\` types, the .ts its \`import\` types.
    files: moduleResolution === 'node16' ? ['consumer.ts', 'consumer.cts'] : ['consumer.ts'],
  })
