import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createReplicaHandler, createReplicaWriter, sqliteSource, type ReplicaHandlerOptions } from '../../src/server/index.js'

// Every bad configuration is a clear error when the handler is made (or, for what needs the
// table, when it prepares): never a default that surprises at the first request.

const db = new Database(':memory:')
db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, body TEXT, secret TEXT, updated_at TEXT)')
const source = sqliteSource({ db })
const make = (options: Partial<ReplicaHandlerOptions> & Record<string, unknown>) =>
  createReplicaHandler({ source, authorize: () => ({}), collections: { note: { table: 'notes' } }, ...options } as ReplicaHandlerOptions)
const note = (config: Record<string, unknown>) => ({ collections: { note: { table: 'notes', ...config } } }) as never

describe('start-up errors', () => {
  it.each([
    ['no authorize', { authorize: undefined }, /authorize is required/],
    ['no source', { source: undefined }, /source is required/],
    ['collections not an object', { collections: [] }, /collections must be an object/],
    ['a misspelt option', note({ writeable: ['body'] }), /unknown option "writeable"/],
    ['filterable not an array', note({ filterable: 'project_id' }), /filterable must be an array/],
    ['an empty column name', note({ columns: ['id', ''] }), /columns must hold non-empty strings/],
    ['a column twice', note({ writable: ['body', 'body'] }), /writable names a column twice/],
    ['writable: true', note({ writable: true }), /writable: true is not accepted/],
    ['table not a string', note({ table: 5 }), /table must be a non-empty string/],
    ['updatedAt: true', note({ updatedAt: true }), /updatedAt must be a column name or false/],
    ['push on without writable collections', { push: true }, /no collection lists writable columns/],
    ['an origin with a path', { allowedOrigins: ['https://app.example.com/'] }, /allowedOrigins must list origins/],
    ['a negative limit', { maxPageSize: -1 }, /maxPageSize must be an integer of at least 1/],
    ['a fractional concurrency', { maxConcurrentScans: 1.5 }, /maxConcurrentScans must be an integer/],
    ['a negative retention', { keepMutationIdsFor: -1 }, /keepMutationIdsFor must be an integer of at least 0/],
  ])('%s', (_name, options, message) => {
    expect(() => make(options as never)).toThrow(message)
  })

  it.each([
    ['an unknown writable column', { writable: ['nope'] }, /writable column "nope" is not a column of "notes"/],
    ['a writable column clients cannot read', { columns: ['id', 'body'], writable: ['secret'] }, /"secret" of "note" is not in its columns/],
    ['the server-stamped updated_at as writable', { writable: ['updated_at'] }, /stamped by the server/],
    ['a reserved column as writable', { writable: ['_version'] }, /not a column|reserved/],
    ['an unknown filterable field', { filterable: ['nope'] }, /filterable field "nope" is not a column/],
  ])('%s fails when the handler prepares', async (_name, config, message) => {
    await expect(make(note(config)).ready()).rejects.toThrow(message)
  })

  it('a collection without filterable is valid: clients cannot filter it', async () => {
    const tables = await make({}).ready()
    expect([...tables.get('note')!.filterable]).toEqual([])
    expect([...tables.get('note')!.writable]).toEqual([])
  })

  it('the write helper checks the same configuration', () => {
    expect(() => createReplicaWriter({ source, collections: { note: { table: 'notes', writeable: [] } } as never })).toThrow(/unknown option "writeable"/)
  })
})
