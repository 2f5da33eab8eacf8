import { describe, expect, it } from 'vitest'
import { canonicalFilter, describeFilterProblem, matchesFilter, scopeKey } from '../../src/core/scope'

describe('a subscription\'s identity', () => {
  it('does not depend on key order, IN order or duplicates', () => {
    expect(scopeKey({ collection: 'note', filter: { b: [2, 1, 2], a: 1 } })).toBe(scopeKey({ collection: 'note', filter: { a: 1, b: [1, 2] } }))
  })
  it('folds a one-value IN list to equality, and no filter to {}', () => {
    expect(canonicalFilter({ a: [7] })).toEqual({ a: 7 })
    expect(scopeKey({ collection: 'note' })).toBe(scopeKey({ collection: 'note', filter: {} }))
  })
  it('tells 1 from "1" in filters, as a typed column does', () => {
    expect(scopeKey({ collection: 'n', filter: { a: 1 } })).not.toBe(scopeKey({ collection: 'n', filter: { a: '1' } }))
    expect(matchesFilter({ a: 1 }, { a: '1' })).toBe(false)
  })
  it('differs by collection', () => {
    expect(scopeKey({ collection: 'note', filter: { a: 1 } })).not.toBe(scopeKey({ collection: 'contact', filter: { a: 1 } }))
  })
})

describe('matching a row client side', () => {
  it('ANDs fields; scalars mean equality, arrays mean IN', () => {
    expect(matchesFilter({ a: 1, b: 2 }, { a: 1, b: [2, 3] })).toBe(true)
    expect(matchesFilter({ a: 1, b: 4 }, { a: 1, b: [2, 3] })).toBe(false)
    expect(matchesFilter({ a: null }, { a: null })).toBe(true)
    expect(matchesFilter({}, {})).toBe(true)
  })
})

describe('filter validation', () => {
  it.each([
    ['a string', 'project_id=7'],
    ['an array', [1, 2]],
    ['a nested object', { a: { $gt: 1 } }],
    ['a nested array', { a: [[1]] }],
    ['an infinite number', { a: Infinity }],
  ])('names the problem with %s', (_, filter) => {
    expect(describeFilterProblem(filter)).toMatch(/filter/)
  })
  it('accepts scalars, null and IN lists', () => {
    expect(describeFilterProblem({ a: 1, b: 'x', c: null, d: [1, 'y', true] })).toBeUndefined()
  })
})
