import { afterEach, describe, expect, it, vi } from 'vitest'
import { newId } from '../../src'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const timeOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16)

afterEach(() => vi.useRealTimers())

describe('newId', () => {
  it('is a UUID version 7 (RFC 9562) whose first 48 bits are the time in milliseconds', () => {
    const before = Date.now()
    const id = newId()
    const after = Date.now()
    expect(id).toMatch(UUID_V7)
    expect(timeOf(id)).toBeGreaterThanOrEqual(before)
    expect(timeOf(id)).toBeLessThanOrEqual(after + 1)
  })

  it('ids made later sort later as strings, also many within one millisecond', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(1_800_000_000_000)
    const ids = Array.from({ length: 5000 }, () => newId()) // more than the 12-bit counter holds in one ms
    vi.setSystemTime(1_800_000_000_500)
    ids.push(...Array.from({ length: 10 }, () => newId()))
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
    for (const id of ids) expect(id).toMatch(UUID_V7)
    // A burst borrows a few milliseconds at most; a later time starts from that time.
    expect(timeOf(ids[4999]!) - 1_800_000_000_000).toBeLessThan(5)
    expect(timeOf(ids[5000]!)).toBe(1_800_000_000_500)
  })

  it('stays increasing when the clock steps back', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(1_900_000_000_000)
    const first = newId()
    vi.setSystemTime(1_899_999_990_000)
    const second = newId()
    expect(second > first).toBe(true)
    expect(timeOf(second)).toBe(1_900_000_000_000)
  })

  it('differs in its random bits between ids of one millisecond', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(2_000_000_000_000)
    const tails = new Set(Array.from({ length: 100 }, () => newId().slice(19)))
    expect(tails.size).toBe(100)
  })
})
