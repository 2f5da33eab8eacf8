import { describe, expect, it } from 'vitest'
import { compareVersions } from '../../src/core/versions'

describe('ordering versions', () => {
  it('orders numbers numerically', () => {
    expect(compareVersions(9, 10)).toBeLessThan(0)
    expect(compareVersions(10, 10)).toBe(0)
  })

  it('orders timestamps of one format as strings, microseconds included', () => {
    expect(compareVersions('2015-03-19T20:14:25.000123Z', '2015-03-19T20:14:25.000124Z')).toBeLessThan(0)
  })

  it.each([
    ['2015-03-19T20:14:25.1Z', '2015-03-19T20:14:25.12Z'],
    ['2015-03-19T20:14:25Z', '2015-03-19T20:14:25.5Z'],
    ['2015-03-19T20:14:25.9Z', '2015-03-19T20:14:26Z'],
    ['2015-03-19 20:14:25.25', '2015-03-19T20:14:25.3'],
  ])('orders timestamps whose fraction digits vary: %s < %s', (older, newer) => {
    expect(compareVersions(older, newer)).toBeLessThan(0)
    expect(compareVersions(newer, older)).toBeGreaterThan(0)
  })

  it('treats the same instant written with more zeros as equal', () => {
    expect(compareVersions('2015-03-19T20:14:25.1Z', '2015-03-19T20:14:25.100000Z')).toBe(0)
  })

  it('sorts a number before any string', () => {
    expect(compareVersions(5, '2015-03-19T20:14:25Z')).toBeLessThan(0)
  })
})
