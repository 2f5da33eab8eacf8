import { describe, expect, it } from 'vitest'
import { mergeFields } from '../../src'
import type { ConflictInfo, OutboxEntry } from '../../src'

interface Note {
  id: string
  title: string
  body: string
  tags?: string[]
  meta?: { color: string }
  _version?: number
}

const mutation: OutboxEntry = { id: 'm1', seq: 1, collection: 'note', key: 'n', op: 'upsert', baseVersion: 1 }
const conflict = (base: Note | null, local: Note | null, server: Note | null): ConflictInfo<Note> => ({ collection: 'note', base, local, server, mutation })
const base: Note = { id: 'n', title: 'Draft', body: 'first', tags: ['a'], _version: 1 }

describe('mergeFields', () => {
  it('keeps the local change of one field and the server change of another', () => {
    const local: Note = { id: 'n', title: 'Draft', body: 'mine', tags: ['a'] } // an optimistic row has no _version
    const merged = mergeFields<Note>()(conflict(base, local, { ...base, title: 'Final', _version: 2 }))
    expect(merged).toEqual({ id: 'n', title: 'Final', body: 'mine', tags: ['a'], _version: 2 })
  })

  it('a field both changed to different values: the server wins by default, the local value with prefer: local', () => {
    const local = { ...base, body: 'mine', title: 'My title' }
    const server = { ...base, body: 'theirs', _version: 2 }
    expect(mergeFields<Note>()(conflict(base, local, server))).toEqual({ ...base, title: 'My title', body: 'theirs', _version: 2 })
    expect(mergeFields<Note>({ prefer: 'local' })(conflict(base, local, server))).toEqual({ ...base, title: 'My title', body: 'mine', _version: 2 })
  })

  it('a per-field rule decides its field ahead of prefer, and is told all three values', () => {
    const seen: unknown[] = []
    const merge = mergeFields<Note>({
      fields: {
        tags: (values) => {
          seen.push(values)
          return [...new Set([...(values.server ?? []), ...(values.local ?? [])])]
        },
      },
    })
    const merged = merge(conflict(base, { ...base, tags: ['a', 'mine'], body: 'mine' }, { ...base, tags: ['a', 'theirs'], body: 'theirs', _version: 2 }))
    expect(merged).toEqual({ ...base, tags: ['a', 'theirs', 'mine'], body: 'theirs', _version: 2 })
    expect(seen).toEqual([{ field: 'tags', base: ['a'], local: ['a', 'mine'], server: ['a', 'theirs'] }])
  })

  it('compares objects and arrays by value; the same change on both sides is no conflict', () => {
    const withMeta = { ...base, meta: { color: 'red' } }
    const rule = () => {
      throw new Error('not a conflict')
    }
    const merge = mergeFields<Note>({ fields: { meta: rule, body: rule } })
    const merged = merge(conflict(withMeta, { ...withMeta, meta: { color: 'red' }, body: 'same' }, { ...withMeta, meta: { color: 'blue' }, body: 'same', _version: 2 }))
    // meta: only the server changed it (the local copy is equal by value); body: both made it 'same'.
    // Nothing local is left to send: the server's row stands.
    expect(merged).toBe('server')
  })

  it('fields added or removed count as changes: a local removal is kept, a server addition is kept', () => {
    const local: Note = { id: 'n', title: 'Draft', body: 'first' } // removed tags
    const server: Note = { ...base, meta: { color: 'blue' }, _version: 2 } // added meta
    expect(mergeFields<Note>()(conflict(base, local, server))).toEqual({ id: 'n', title: 'Draft', body: 'first', meta: { color: 'blue' }, _version: 2 })
  })

  it('a create that met an existing row has no base: every field the rows disagree on goes to the rule', () => {
    const local: Note = { id: 'n', title: 'Mine', body: 'same' }
    const server: Note = { id: 'n', title: 'Theirs', body: 'same', _version: 5 }
    expect(mergeFields<Note>()(conflict(null, local, server))).toBe('server')
    expect(mergeFields<Note>({ prefer: 'local' })(conflict(null, local, server))).toEqual({ id: 'n', title: 'Mine', body: 'same', _version: 5 })
  })

  it('a local delete, or a row deleted on the server, is the rule: server by default, client with prefer: local', () => {
    expect(mergeFields<Note>()(conflict(base, null, { ...base, title: 'Final' }))).toBe('server')
    expect(mergeFields<Note>({ prefer: 'local' })(conflict(base, null, { ...base, title: 'Final' }))).toBe('client')
    expect(mergeFields<Note>()(conflict(base, { ...base, body: 'mine' }, null))).toBe('server')
    expect(mergeFields<Note>({ prefer: 'local' })(conflict(base, { ...base, body: 'mine' }, null))).toBe('client')
  })

  it('takes the server\'s _version and _deleted whatever the local row holds', () => {
    const merged = mergeFields<Note>({ prefer: 'local' })(conflict(base, { ...base, body: 'mine', _version: 1 }, { ...base, _version: 3 }))
    expect(merged).toEqual({ ...base, body: 'mine', _version: 3 })
  })
})
