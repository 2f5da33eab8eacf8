import fc from 'fast-check'
import { heal } from './heal'
import { knownSchedules } from './knownSchedules'
import { describeSchedule, scheduleArbitrary } from './schedule'
import type { Schedule } from './schedule'
import { verify } from './verify'
import { World } from './world'

export type BackendKind = 'sqlite' | 'postgres'

/** What ran, for the report of a long fuzzing run. */
export const tally = { schedules: 0, steps: 0, evictions: 0 }

/** Runs one schedule on a fresh world, heals it, and checks the verdict; throws what went wrong. */
export async function runSchedule(kind: BackendKind, schedule: Schedule): Promise<void> {
  const world = await World.open(kind, schedule)
  tally.schedules++
  try {
    for (const step of schedule.steps) {
      await world.step(step)
      tally.steps++
    }
    await verify(world, await heal(world))
    for (const client of world.clients) tally.evictions += client.events.filter((e) => e.type === 'evicted').length
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(`${message}\non ${kind}, schedule:\n${describeSchedule(schedule)}`, { cause: error })
  } finally {
    await world.close()
  }
}

/** The property: every schedule of up to `maxSteps` steps converges. */
export function convergenceProperty(kind: BackendKind, maxSteps: number, divergence = true) {
  return fc.asyncProperty(scheduleArbitrary({ postgres: kind === 'postgres', maxSteps, divergence }), (schedule) => runSchedule(kind, schedule))
}

/** fast-check's parameters for a run: a seed, a number of runs, and (`known`) the known schedules first. */
export function runParameters(seed: number, numRuns: number, known = true): fc.Parameters<[Schedule]> {
  return { seed, numRuns, examples: known ? Object.values(knownSchedules).map((schedule): [Schedule] => [schedule]) : [] }
}
