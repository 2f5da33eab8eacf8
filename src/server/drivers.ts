import { createRequire } from 'node:module'

/** The database drivers, optional peer dependencies of redux-replica: a user installs the one they use. */
interface Drivers {
  'better-sqlite3': typeof import('better-sqlite3')
  pg: typeof import('pg')
}

/**
 * Loads a driver the first time a source opens a connection itself. Nothing in
 * `redux-replica/server` imports a driver at load time, so a SQLite app needs no `pg` and a
 * PostgreSQL app no `better-sqlite3`. Both drivers are CommonJS, so one synchronous `require`
 * serves the ESM and the CJS build alike and the source factories stay synchronous.
 *
 * @example const Database = loadDriver('better-sqlite3', 'sqliteSource({ db: path })')
 */
export function loadDriver<N extends keyof Drivers>(name: N, neededBy: string): Drivers[N] {
  const require = createRequire(import.meta.url)
  try {
    return require(name) as Drivers[N]
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND' || !String((error as Error).message).includes(`'${name}'`)) throw error
    throw new Error(
      `redux-replica: ${neededBy} needs the package "${name}", an optional peer dependency that is not installed. ` +
        `Install it in your app: npm install ${name}`,
      { cause: error },
    )
  }
}
