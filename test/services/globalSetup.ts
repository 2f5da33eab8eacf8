import type { TestProject } from 'vitest/node'
import { findChromium, type TestChromium } from './chromium'
import { SYSTEM_POSTGRES_URL, usePostgres } from './postgres'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The PostgreSQL of this run: DATABASE_URL or 127.0.0.1:5432 when it answers, else an embedded one. */
    databaseUrl: string
    /** The Chromium of this run: CHROMIUM_PATH or /usr/bin/chromium when present, else the bundled build. */
    chromium: TestChromium
  }
}

/**
 * Vitest's global setup: finds or starts the services the suite needs, once per run, so that
 * `npm test` passes on a machine with nothing but Node. Tests read them with `inject()`.
 */
export default async function setup(project: TestProject) {
  // REPLICA_TEST_POSTGRES=embedded keeps the run's server private: the pull horizon follows every
  // transaction open in the cluster, so other runs' tests on a shared server can hold it back.
  const postgres = await usePostgres(process.env.REPLICA_TEST_POSTGRES === 'embedded' ? null : (process.env.DATABASE_URL ?? SYSTEM_POSTGRES_URL))
  project.provide('databaseUrl', postgres.url)
  project.provide('chromium', await findChromium())
  if (postgres.embedded) console.log(`[services] started an embedded PostgreSQL at ${postgres.url.replace(/:[^:@/]*@/, '@')}`)
  return () => postgres.stop()
}
