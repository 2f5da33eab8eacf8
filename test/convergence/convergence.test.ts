import fc from 'fast-check'
import { describe, it } from 'vitest'
import { convergenceProperty, runParameters } from './property'

// Random schedules of server changes, client writes, subscriptions, restarts and network faults;
// after healing, every client shows exactly the server's rows (docs/testing.md). A fixed seed keeps
// CI repeatable, and the schedules that once failed run first (knownSchedules.ts); `npm run fuzz`
// runs other seeds for longer.
const SEED = 20_261_129
const MAX_STEPS = 24

describe('every schedule converges', () => {
  it('over SQLite', async () => {
    await fc.assert(convergenceProperty('sqlite', MAX_STEPS), runParameters(SEED, 60))
  }, 600_000)

  it('over PostgreSQL, with slow transactions', async () => {
    await fc.assert(convergenceProperty('postgres', MAX_STEPS), runParameters(SEED, 45))
  }, 600_000)
})
