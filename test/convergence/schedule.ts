import fc from 'fast-check'
import type { Filter } from '../../src'
import type { FaultKind, FaultTarget } from './faultProxy'

/** Overlapping filters: project 1, projects 1 and 2, project 2. Rows live in projects 1 to 3. */
export const FILTERS: readonly Filter[] = [{ project_id: 1 }, { project_id: [1, 2] }, { project_id: 2 }]
export const PROJECTS = [1, 2, 3] as const

/**
 * One step of a schedule, as plain data (fast-check prints it on failure, shrunk). `c` is a
 * client, `f` an index into FILTERS, `p` a project, `pick` chooses among the rows that exist when
 * the step runs (modulo their number), so a shrunk schedule still means something.
 */
export type Step =
  // The server, by plain SQL.
  | { do: 'serverInsert'; p: number }
  | { do: 'serverUpdate'; pick: number }
  | { do: 'serverMove'; pick: number; p: number }
  | { do: 'serverDelete'; pick: number }
  | { do: 'serverRekey'; pick: number }
  /** A divergence on purpose: a delete no tombstone will report (only a digest check finds it). */
  | { do: 'serverDeleteBehindTheBack'; pick: number }
  /** PostgreSQL: a change in a transaction left open across the next steps. */
  | { do: 'slowBegin'; change: 'insert' | 'update' | 'move' | 'delete'; pick: number; p: number }
  | { do: 'slowCommit' }
  // A client app.
  | { do: 'subscribe'; c: number; f: number }
  | { do: 'unsubscribe'; c: number; f: number }
  | { do: 'create'; c: number; p: number }
  | { do: 'edit'; c: number; pick: number }
  | { do: 'moveLocal'; c: number; pick: number; p: number }
  | { do: 'remove'; c: number; pick: number }
  | { do: 'restart'; c: number }
  | { do: 'focus'; c: number }
  // The network and time.
  | { do: 'fault'; c: number; kind: FaultKind; on: FaultTarget; n: number }
  | { do: 'release'; c: number }
  | { do: 'tick'; ms: number }
  /** A digest interval passes and every app comes back into focus: digest checks are due. */
  | { do: 'digestDue' }

export interface Schedule {
  clients: number
  /** Filters each client subscribes to before the first step. */
  start: number[][]
  steps: Step[]
}

const pick = fc.nat({ max: 50 })
const project = fc.constantFrom(...PROJECTS)
const filter = fc.nat({ max: FILTERS.length - 1 })

/** Schedules for 2-3 clients; `postgres` adds slow transactions; `divergence: false` leaves out divergences on purpose. */
export function scheduleArbitrary(options: { postgres: boolean; maxSteps: number; divergence?: boolean }): fc.Arbitrary<Schedule> {
  return fc.integer({ min: 2, max: 3 }).chain((clients) => {
    const c = fc.nat({ max: clients - 1 })
    const steps: Array<fc.WeightedArbitrary<Step>> = [
      { weight: 4, arbitrary: fc.record({ do: fc.constant('serverInsert' as const), p: project }) },
      { weight: 3, arbitrary: fc.record({ do: fc.constant('serverUpdate' as const), pick }) },
      { weight: 3, arbitrary: fc.record({ do: fc.constant('serverMove' as const), pick, p: project }) },
      { weight: 3, arbitrary: fc.record({ do: fc.constant('serverDelete' as const), pick }) },
      { weight: 1, arbitrary: fc.record({ do: fc.constant('serverRekey' as const), pick }) },
      { weight: options.divergence === false ? 0 : 1, arbitrary: fc.record({ do: fc.constant('serverDeleteBehindTheBack' as const), pick }) },
      { weight: 3, arbitrary: fc.record({ do: fc.constant('subscribe' as const), c, f: filter }) },
      { weight: 3, arbitrary: fc.record({ do: fc.constant('unsubscribe' as const), c, f: filter }) },
      { weight: 3, arbitrary: fc.record({ do: fc.constant('create' as const), c, p: project }) },
      { weight: 3, arbitrary: fc.record({ do: fc.constant('edit' as const), c, pick }) },
      { weight: 2, arbitrary: fc.record({ do: fc.constant('moveLocal' as const), c, pick, p: project }) },
      { weight: 2, arbitrary: fc.record({ do: fc.constant('remove' as const), c, pick }) },
      { weight: 2, arbitrary: fc.record({ do: fc.constant('restart' as const), c }) },
      { weight: 4, arbitrary: fc.record({ do: fc.constant('focus' as const), c }) },
      {
        weight: 4,
        arbitrary: fc.record({
          do: fc.constant('fault' as const),
          c,
          kind: fc.constantFrom<FaultKind>('drop', 'lose', '503', 'hold'),
          on: fc.constantFrom<FaultTarget>('pull', 'push', 'any'),
          n: fc.integer({ min: 1, max: 3 }),
        }),
      },
      { weight: 2, arbitrary: fc.record({ do: fc.constant('release' as const), c }) },
      { weight: 2, arbitrary: fc.record({ do: fc.constant('tick' as const), ms: fc.constantFrom(100, 500, 2_000, 15_000) }) },
      { weight: 1, arbitrary: fc.constant({ do: 'digestDue' as const }) },
    ]
    if (options.postgres) {
      steps.push(
        {
          weight: 2,
          arbitrary: fc.record({ do: fc.constant('slowBegin' as const), change: fc.constantFrom('insert' as const, 'update' as const, 'move' as const, 'delete' as const), pick, p: project }),
        },
        { weight: 2, arbitrary: fc.constant({ do: 'slowCommit' as const }) },
      )
    }
    return fc.record({
      clients: fc.constant(clients),
      start: fc.array(fc.uniqueArray(filter, { maxLength: 2 }), { minLength: clients, maxLength: clients }),
      steps: fc.array(fc.oneof(...steps), { minLength: 1, maxLength: options.maxSteps, size: 'max' }),
    })
  })
}

/** A schedule as a reader wants it in a failure report: one step per line. */
export function describeSchedule(schedule: Schedule): string {
  const line = (step: Step) => JSON.stringify(step)
  return [`clients: ${schedule.clients}, subscribed at start: ${JSON.stringify(schedule.start)}`, ...schedule.steps.map((s, i) => `  ${i + 1}. ${line(s)}`)].join('\n')
}
