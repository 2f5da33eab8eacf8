import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MutationResult, WireMutation } from '../../src/server/index.js'
import { get, serve } from '../server/helpers.js'
import { todoServer } from './serverFixture.js'

// The push endpoint over SQLite, through real HTTP on loopback.
let server: ReturnType<typeof todoServer>
let http: Awaited<ReturnType<typeof serve>>
beforeAll(async () => {
  server = todoServer({
    maxPushBytes: 64 * 1024,
    maxPushMutations: 50,
    onError: (e) => {
      throw new Error(`unexpected 500: ${String(e)}`)
    },
  })
  await server.handler.ready()
  http = await serve(server.handler)
})
afterAll(async () => {
  await http?.close()
  server?.db.close()
})

let n = 0
const newId = () => `m-${++n}-${Math.random().toString(36).slice(2)}`
const upsert = (key: string, row: Record<string, unknown>, baseVersion: number | null, id = newId()): WireMutation =>
  ({ id, collection: 'todo', op: 'upsert', key, row: { id: key, ...row } as never, baseVersion })
const del = (key: string, baseVersion: number | null, id = newId()): WireMutation => ({ id, collection: 'todo', op: 'delete', key, baseVersion })

async function push(mutations: unknown, token?: string) {
  const body = typeof mutations === 'string' ? mutations : JSON.stringify({ mutations })
  return get(`${http.base}/replica/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  })
}
async function results(mutations: unknown[], token?: string): Promise<MutationResult[]> {
  const answer = await push(mutations, token)
  expect(answer.status, answer.text).toBe(200)
  return answer.body.results
}

describe('push: applying', () => {
  it('inserts, updates and deletes, answering the canonical row with its new version', async () => {
    const [created] = await results([upsert('a', { list_id: 1, title: 'milk' }, null)])
    expect(created).toMatchObject({ status: 'applied', row: { id: 'a', list_id: 1, title: 'milk', done: 0 } })
    const v1 = (created as { version: number }).version
    expect(created!.status === 'applied' && created!.row?._version).toBe(v1)
    expect(server.row('a')).toMatchObject({ title: 'milk', _version: v1, _deleted: 0 })
    // The server stamps updated_at (the 2015 endpoints order by it); a client's value is ignored.
    expect(server.row('a')!.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)

    const [updated] = await results([upsert('a', { list_id: 1, title: 'oat milk', done: true, updated_at: '1999-01-01T00:00:00.000000Z' }, v1)])
    expect(updated).toMatchObject({ status: 'applied', row: { title: 'oat milk', done: 1 } })
    const v2 = (updated as { version: number }).version
    expect(v2).toBeGreaterThan(v1)
    expect(server.row('a')!.updated_at).not.toBe('1999-01-01T00:00:00.000000Z')

    const [deleted] = await results([del('a', v2)])
    expect(deleted).toMatchObject({ status: 'applied', row: null })
    expect((deleted as { version: number }).version).toBeGreaterThan(v2)
    expect(server.row('a')).toMatchObject({ _deleted: 1 })
    // The pull sends the delete as a tombstone.
    const pulled = await get(`${http.base}/replica/pull?collection=todo`)
    expect(pulled.body.rows).toContainEqual({ id: 'a', _version: (deleted as { version: number }).version, _deleted: true })
  })

  it('applies a batch in order: several writes to one key, each based on the one before', async () => {
    const [a] = await results([upsert('seq', { list_id: 1, title: 'one' }, null)])
    const [b] = await results([upsert('seq', { list_id: 1, title: 'two' }, (a as { version: number }).version)])
    const [c, d] = await results([
      upsert('seq', { list_id: 1, title: 'three' }, (b as { version: number }).version),
      upsert('other', { list_id: 2, title: 'x' }, null),
    ])
    expect(c).toMatchObject({ status: 'applied', row: { title: 'three' } })
    expect(d).toMatchObject({ status: 'applied' })
    expect(server.row('seq')!.title).toBe('three')
  })

  it('a delete of a row that is gone is applied (nothing to do); a write to a deleted row revives it on its tombstone version', async () => {
    expect(await results([del('never-was', null)])).toEqual([expect.objectContaining({ status: 'applied', row: null, version: null })])
    const [a] = await results([upsert('phoenix', { list_id: 1, title: 'born' }, null)])
    const [gone] = await results([del('phoenix', (a as { version: number }).version)])
    const tomb = (gone as { version: number }).version
    // Deleting again: applied, the tombstone's version.
    expect(await results([del('phoenix', null)])).toEqual([expect.objectContaining({ status: 'applied', version: tomb })])
    // A create without knowing of the delete conflicts (the server's row is gone: null, with the tombstone's version) ...
    expect(await results([upsert('phoenix', { list_id: 1, title: 'again' }, null)])).toEqual([
      expect.objectContaining({ status: 'conflict', row: null, version: tomb }),
    ])
    // ... and one based on the tombstone's version revives it.
    const [revived] = await results([upsert('phoenix', { list_id: 1, title: 'again' }, tomb)])
    expect(revived).toMatchObject({ status: 'applied', row: { id: 'phoenix', title: 'again' } })
    expect(server.row('phoenix')).toMatchObject({ _deleted: 0, title: 'again' })
  })
})

describe('push: exactly once', () => {
  it('a resent mutation id is answered from the record and not applied again', async () => {
    const m = upsert('once', { list_id: 1, title: 'first' }, null)
    const [first] = await results([m])
    const row = server.row('once')
    const clock = server.clock()
    const records = server.mutationCount()
    // The same request again (the answer was lost), then again inside a larger batch.
    expect(await results([m])).toEqual([first])
    expect(await results([m, upsert('once-2', { list_id: 1, title: 'x' }, null)])).toEqual([first, expect.objectContaining({ status: 'applied' })])
    expect(server.row('once')).toEqual(row)
    expect(server.clock()).toBe(clock + 1) // only once-2 took a version
    expect(server.mutationCount()).toBe(records + 1)
  })

  it('a conflict or rejection is recorded too: the resend gets the same answer', async () => {
    const [a] = await results([upsert('rec', { list_id: 1, title: 'v1' }, null)])
    await results([upsert('rec', { list_id: 1, title: 'v2' }, (a as { version: number }).version)])
    const stale = upsert('rec', { list_id: 1, title: 'stale' }, (a as { version: number }).version)
    const [conflict] = await results([stale])
    expect(conflict).toMatchObject({ status: 'conflict', row: { title: 'v2' } })
    expect(await results([stale])).toEqual([conflict])
  })

  it('an id reused for a different write is rejected, and nothing is written', async () => {
    const m = upsert('reuse', { list_id: 1, title: 'original' }, null)
    await results([m])
    const [again] = await results([{ ...m, row: { id: 'reuse', list_id: 1, title: 'changed' } }])
    expect(again).toMatchObject({ status: 'rejected', error: { code: 'id_reused' } })
    expect(server.row('reuse')!.title).toBe('original')
  })
})

describe('push: conflicts', () => {
  it('a write based on an old version is a conflict carrying the server row; nothing is written', async () => {
    const [a] = await results([upsert('c1', { list_id: 1, title: 'base' }, null)])
    const va = (a as { version: number }).version
    server.db.prepare("UPDATE todos SET title = 'theirs' WHERE id = 'c1'").run()
    const [c] = await results([upsert('c1', { list_id: 1, title: 'mine' }, va)])
    expect(c).toMatchObject({ status: 'conflict', row: { id: 'c1', title: 'theirs' } })
    expect((c as { version: number }).version).toBeGreaterThan(va)
    expect(server.row('c1')!.title).toBe('theirs')
    // A new mutation based on the server's version wins (what onConflict 'client' sends).
    const [won] = await results([upsert('c1', { list_id: 1, title: 'mine' }, (c as { version: number }).version)])
    expect(won).toMatchObject({ status: 'applied', row: { title: 'mine' } })
  })

  it('a create of a key that exists is a conflict; a delete of a changed row is a conflict', async () => {
    await results([upsert('c2', { list_id: 1, title: 'exists' }, null)])
    expect(await results([upsert('c2', { list_id: 1, title: 'dup' }, null)])).toEqual([expect.objectContaining({ status: 'conflict', row: expect.objectContaining({ title: 'exists' }) })])
    expect(await results([del('c2', 1)])).toEqual([expect.objectContaining({ status: 'conflict' })])
    expect(server.row('c2')).toMatchObject({ _deleted: 0 })
  })
})

describe('push: authorization and scope', () => {
  it('a caller may write inside its scope, not outside it, and may not move a row out of it', async () => {
    const [mine] = await results([upsert('s1', { list_id: 1, title: 'mine' }, null)], 'l1')
    expect(mine).toMatchObject({ status: 'applied' })
    const [theirs] = await results([upsert('s2', { list_id: 2, title: 'theirs' }, null)])
    const [outside, moveOut, touch, deleteTheirs, next] = await results(
      [
        upsert('s3', { list_id: 2, title: 'sneaky' }, null),
        upsert('s1', { list_id: 2, title: 'moved' }, (mine as { version: number }).version),
        upsert('s2', { list_id: 1, title: 'stolen' }, (theirs as { version: number }).version),
        del('s2', (theirs as { version: number }).version),
        upsert('s4', { list_id: 1, title: 'fine' }, null),
      ],
      'l1',
    )
    for (const r of [outside, moveOut]) expect(r).toMatchObject({ status: 'rejected', error: { code: 'forbidden' } })
    // Another tenant's row is answered as if absent: no conflict showing it, and a delete of it
    // answers exactly as a delete of a key that never was.
    expect(touch).toEqual({ id: touch!.id, status: 'conflict', row: null, version: null })
    const [absent] = await results([del('never-anywhere', null)], 'l1')
    expect({ ...deleteTheirs, id: '' }).toEqual({ ...absent, id: '' })
    // The queue moves on: the next mutation is applied.
    expect(next).toMatchObject({ status: 'applied' })
    expect(server.row('s3')).toBeUndefined()
    expect(server.row('s1')).toMatchObject({ list_id: 1, title: 'mine' })
    expect(server.row('s2')).toMatchObject({ list_id: 2, title: 'theirs', _deleted: 0 })
    // A conflict answer would show the row: a row outside the scope is refused, never shown.
    expect(JSON.stringify(touch)).not.toContain('theirs')
  })

  it('an unknown caller is 401 for the whole request, a refused one 403; read-only collections refuse', async () => {
    expect((await push([upsert('u1', { list_id: 1, title: 'x' }, null)], 'nobody')).status).toBe(401)
    expect((await push([upsert('u1', { list_id: 1, title: 'x' }, null)], 'banned')).status).toBe(403)
    expect(await results([{ id: newId(), collection: 'label', op: 'upsert', key: 1, row: { id: 1, list_id: 1, name: 'x' }, baseVersion: null }])).toEqual([
      expect.objectContaining({ status: 'rejected', error: expect.objectContaining({ code: 'forbidden' }) }),
    ])
    expect(server.row('u1')).toBeUndefined()
  })
})

describe('push: hostile input', () => {
  const SQL = "x'); DROP TABLE todos; --"
  const perMutation: Array<[string, () => unknown, string]> = [
    ['unknown collection', () => ({ id: newId(), collection: 'nope', op: 'upsert', key: 'h', row: { id: 'h' }, baseVersion: null }), 'unknown_collection'],
    ['collection __proto__', () => ({ id: newId(), collection: '__proto__', op: 'upsert', key: 'h', row: { id: 'h' }, baseVersion: null }), 'unknown_collection'],
    ['SQL as collection', () => ({ id: newId(), collection: SQL, op: 'delete', key: 'h', baseVersion: null }), 'unknown_collection'],
    ['collection not a string', () => ({ id: newId(), collection: 7, op: 'delete', key: 'h', baseVersion: null }), 'bad_mutation'],
    ['unknown op', () => ({ id: newId(), collection: 'todo', op: 'drop', key: 'h', baseVersion: null }), 'bad_mutation'],
    ['reserved column _version', () => upsert('h', { list_id: 1, title: 'x', _version: 999 }, null), 'bad_row'],
    ['reserved column _deleted', () => upsert('h', { list_id: 1, title: 'x', _deleted: 1 }, null), 'bad_row'],
    ['unknown column', () => upsert('h', { list_id: 1, title: 'x', admin: true }, null), 'bad_row'],
    ['SQL as a column name', () => upsert('h', { list_id: 1, [`title" = 'x'; DROP TABLE todos; --`]: 'x' }, null), 'bad_row'],
    ['__proto__ as a column', () => JSON.parse(`{"id":"${newId()}","collection":"todo","op":"upsert","key":"h","row":{"id":"h","list_id":1,"title":"x","__proto__":{"admin":true}},"baseVersion":null}`), 'bad_row'],
    ['constructor as a column', () => upsert('h', { list_id: 1, title: 'x', constructor: 1 }, null), 'bad_row'],
    ['row not an object', () => ({ id: newId(), collection: 'todo', op: 'upsert', key: 'h', row: ['h', 1], baseVersion: null }), 'bad_row'],
    ['row missing', () => ({ id: newId(), collection: 'todo', op: 'upsert', key: 'h', baseVersion: null }), 'bad_row'],
    ['nested object value', () => upsert('h', { list_id: 1, title: { $ne: null } }, null), 'bad_row'],
    ['string for an integer column', () => upsert('h', { list_id: '1', title: 'x' }, null), 'bad_row'],
    ['row without its key', () => ({ id: newId(), collection: 'todo', op: 'upsert', key: 'h', row: { list_id: 1, title: 'x' }, baseVersion: null }), 'bad_row'],
    ['row key differs from key', () => ({ id: newId(), collection: 'todo', op: 'upsert', key: 'h', row: { id: 'other', list_id: 1, title: 'x' }, baseVersion: null }), 'bad_row'],
    ['key an object', () => ({ id: newId(), collection: 'todo', op: 'delete', key: { id: 1 }, baseVersion: null }), 'bad_mutation'],
    ['key a number for a text key', () => ({ id: newId(), collection: 'todo', op: 'delete', key: 5, baseVersion: null }), 'bad_mutation'],
    ['baseVersion a string', () => ({ id: newId(), collection: 'todo', op: 'delete', key: 'h', baseVersion: '1 OR 1=1' }), 'bad_mutation'],
    ['baseVersion missing', () => ({ id: newId(), collection: 'todo', op: 'delete', key: 'h' }), 'bad_mutation'],
    ['NOT NULL violated', () => upsert('h', { list_id: 1, title: null }, null), 'constraint'],
  ]
  it.each(perMutation)('%s: rejected per mutation, nothing written, the next one applied', async (_, make, code) => {
    const before = server.clock()
    const [bad, good] = await results([make(), upsert(`after-${newId()}`, { list_id: 1, title: SQL }, null)])
    expect(bad).toMatchObject({ status: 'rejected', error: { code } })
    expect(good).toMatchObject({ status: 'applied', row: { title: SQL } })
    expect(server.clock()).toBe(before + 1)
    expect(server.row('h')).toBeUndefined()
  })

  const whole: Array<[string, () => string, number, string]> = [
    ['malformed JSON', () => '{"mutations": [', 400, 'bad_request'],
    ['not an object', () => '[1,2]', 400, 'bad_request'],
    ['mutations not an array', () => '{"mutations": {"0": {}}}', 400, 'bad_request'],
    ['no mutations', () => '{"mutations": []}', 400, 'bad_request'],
    ['a mutation not an object', () => '{"mutations": [7]}', 400, 'bad_request'],
    ['a mutation without id', () => JSON.stringify({ mutations: [{ collection: 'todo', op: 'delete', key: 'h', baseVersion: null }] }), 400, 'bad_request'],
    ['an id with spaces and SQL', () => JSON.stringify({ mutations: [{ ...del('h', null), id: "x'; DROP TABLE _replica_mutations; --" }] }), 400, 'bad_request'],
    ['an id too long', () => JSON.stringify({ mutations: [{ ...del('h', null), id: 'x'.repeat(129) }] }), 400, 'bad_request'],
    ['one id twice', () => JSON.stringify({ mutations: [del('h', null, 'dup'), del('h', null, 'dup')] }), 400, 'bad_request'],
    ['too many mutations', () => JSON.stringify({ mutations: Array.from({ length: 51 }, () => del('h', null)) }), 413, 'too_large'],
    ['oversized body', () => JSON.stringify({ mutations: [upsert('h', { list_id: 1, title: 'x'.repeat(70_000) }, null)] }), 413, 'too_large'],
    ['empty body', () => '', 400, 'bad_request'],
  ]
  it.each(whole)('%s: refused whole (%i), nothing written', async (_, body, status, code) => {
    const before = server.clock()
    const records = server.mutationCount()
    const answer = await push(body())
    expect(answer.status, answer.text).toBe(status)
    expect(answer.contentType).toContain('application/json')
    expect(answer.body.error.code).toBe(code)
    expect(server.clock()).toBe(before)
    expect(server.mutationCount()).toBe(records)
  })

  it('a body over the limit without Content-Length (chunked) is 413, read no further than the limit', async () => {
    const big = JSON.stringify({ mutations: [upsert('h', { list_id: 1, title: 'x'.repeat(200_000) }, null)] })
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < big.length; i += 16_384) controller.enqueue(new TextEncoder().encode(big.slice(i, i + 16_384)))
        controller.close()
      },
    })
    const answer = await get(`${http.base}/replica/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit)
    expect(answer.status).toBe(413)
  })

  it('GET on the push path is 405; POST on the pull path is 405', async () => {
    expect((await get(`${http.base}/replica/push`)).status).toBe(405)
    expect((await get(`${http.base}/replica/pull?collection=todo`, { method: 'POST', body: '{}' })).status).toBe(405)
  })

  it('no statement SQLite prepared contains hostile input; the tables are intact', () => {
    for (const sql of server.prepared) {
      expect(sql).not.toContain('DROP TABLE')
      expect(sql).not.toContain('admin')
    }
    expect(server.db.prepare('SELECT count(*) FROM todos').pluck().get()).toBeGreaterThan(0)
  })

  it('works through the Fetch face too', async () => {
    const response = await server.handler.fetch(
      new Request('http://x/replica/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ mutations: [upsert('fetch-face', { list_id: 3, title: 'f' }, null)] }),
      }),
    )
    expect(response.status).toBe(200)
    expect((await response.json()).results[0]).toMatchObject({ status: 'applied' })
  })
})
