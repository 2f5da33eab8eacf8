import type { Database } from 'better-sqlite3'
import { DELETED_COL, LOG_SUFFIX, VERSION_COL, newCol, oldCol, q } from './sql.js'
import type { TableInfo } from './types.js'

/**
 * SQLite bookkeeping for one replicated table:
 * - `_version`: from a one-row clock table, bumped by triggers on every insert/update/delete.
 *   SQLite has one writer at a time and readers see only committed data, so versions become
 *   visible in the order they are taken: a cursor can never pass a version committed later.
 * - `_deleted`: soft-delete flag (the write helper's `remove`); the row becomes a tombstone.
 * - `<table>__replica_log`: one entry per hard DELETE and per change of a tracked (filterable or
 *   scope) field, holding the old and new values, so a pull can send move-outs as tombstones.
 * Triggers (not the write helper) do all of this, so raw SQL writes keep versions right too.
 */

export const CLOCK = '_replica_clock'
/** The clock's value: the last version taken. Every version up to it is committed (or never will be). */
export const clockValue = `(SELECT v FROM ${q(CLOCK)} WHERE id = 0)`
const bump = `UPDATE ${q(CLOCK)} SET v = v + 1 WHERE id = 0;`

export function installSqlite(db: Database, t: TableInfo, pkType: string): void {
  const T = q(t.table)
  const L = q(t.table + LOG_SUFFIX)
  const pk = q(t.primaryKey)
  const V = q(VERSION_COL)
  const name = (suffix: string) => q(`${t.table}__replica_${suffix}`)

  db.exec(`CREATE TABLE IF NOT EXISTS ${q(CLOCK)} (id INTEGER PRIMARY KEY CHECK (id = 0), v INTEGER NOT NULL);
    INSERT OR IGNORE INTO ${q(CLOCK)} (id, v) VALUES (0, 0);`)
  if (!t.allColumns.has(VERSION_COL)) db.exec(`ALTER TABLE ${T} ADD COLUMN ${V} INTEGER`)
  if (!t.allColumns.has(DELETED_COL)) db.exec(`ALTER TABLE ${T} ADD COLUMN ${q(DELETED_COL)} INTEGER NOT NULL DEFAULT 0`)

  db.exec(`CREATE TABLE IF NOT EXISTS ${L} (${V} INTEGER NOT NULL, ${pk} ${pkType}, gone INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (${V}, ${pk}))`)
  const logCols = new Set((db.prepare(`PRAGMA table_info(${L})`).all() as Array<{ name: string }>).map((c) => c.name))
  for (const f of t.tracked) {
    for (const c of [oldCol(f), newCol(f)]) if (!logCols.has(c)) db.exec(`ALTER TABLE ${L} ADD COLUMN ${q(c)}`)
  }

  for (const s of ['ai', 'au', 'ad']) db.exec(`DROP TRIGGER IF EXISTS ${name(s)}`)
  // Rows that predate the install get versions of their own, in primary-key order. Distinct
  // versions matter here: SQLite seeks an index on (_version, id) by _version only when id is the
  // rowid, so a long run of rows sharing one version would be scanned on every page.
  db.exec(`UPDATE ${T} SET ${V} = x.n FROM (SELECT ${pk} AS k, ${clockValue} + row_number() OVER (ORDER BY ${pk}) AS n
      FROM ${T} WHERE ${V} IS NULL) AS x WHERE ${T}.${pk} = x.k;
    UPDATE ${q(CLOCK)} SET v = max(v, coalesce((SELECT max(${V}) FROM ${T}), 0)) WHERE id = 0;`)

  db.exec(`CREATE INDEX IF NOT EXISTS ${name('v')} ON ${T} (${V}, ${pk})`)
  for (const f of t.tracked) db.exec(`CREATE INDEX IF NOT EXISTS ${name(`v_${f}`)} ON ${T} (${q(f)}, ${V}, ${pk})`)
  if (t.updatedAt) {
    const ua = q(t.updatedAt)
    db.exec(`CREATE INDEX IF NOT EXISTS ${name('u')} ON ${T} (${ua}, ${pk})`)
    for (const f of t.filterable) db.exec(`CREATE INDEX IF NOT EXISTS ${name(`u_${f}`)} ON ${T} (${q(f)}, ${ua}, ${pk})`)
  }

  const olds = t.tracked.map((f) => `OLD.${q(f)}`)
  const news = t.tracked.map((f) => `NEW.${q(f)}`)
  const logInto = `INSERT INTO ${L} (${V}, ${pk}, gone${t.tracked.map((f) => `, ${q(oldCol(f))}, ${q(newCol(f))}`).join('')})`
  const pairs = (a: string[], b: string[]) => a.map((x, i) => `, ${x}, ${b[i]}`).join('')
  const nulls = t.tracked.map(() => 'NULL')
  const setVersion = `UPDATE ${T} SET ${V} = ${clockValue} WHERE ${pk} = NEW.${pk};`

  db.exec(`CREATE TRIGGER ${name('ai')} AFTER INSERT ON ${T} BEGIN ${bump} ${setVersion} END`)
  // The WHEN clause keeps the triggers' own version updates from counting as writes: they set
  // `_version` to the clock's current value, and any other update either leaves `_version` alone
  // or sets it to something else.
  const moved = t.tracked.map((f) => `OLD.${q(f)} IS NOT NEW.${q(f)}`).join(' OR ')
  db.exec(`CREATE TRIGGER ${name('au')} AFTER UPDATE ON ${T}
    WHEN NEW.${V} IS OLD.${V} OR NEW.${V} IS NOT ${clockValue}
    BEGIN ${bump} ${setVersion}
      ${moved ? `${logInto} SELECT ${clockValue}, OLD.${pk}, 0${pairs(olds, news)} WHERE OLD.${pk} IS NEW.${pk} AND (${moved});` : ''}
      ${logInto} SELECT ${clockValue}, OLD.${pk}, 1${pairs(olds, nulls)} WHERE OLD.${pk} IS NOT NEW.${pk};
    END`)
  db.exec(`CREATE TRIGGER ${name('ad')} AFTER DELETE ON ${T} BEGIN ${bump}
      ${logInto} VALUES (${clockValue}, OLD.${pk}, 1${pairs(olds, nulls)});
    END`)
}
