import { DELETED_COL, LOG_SUFFIX, VERSION_COL, newCol, oldCol, q, type Dialect } from './sql.js'
import type { TableInfo } from './types.js'
import { notifySql } from './postgres-notify.js'

/**
 * PostgreSQL bookkeeping for one replicated table. The version of a row is the id of the
 * transaction that last wrote it (`pg_current_xact_id()`, a 64-bit, never-wrapping xid8), set by a
 * BEFORE trigger on every insert and update. A reader serves only versions below
 * `pg_snapshot_xmin(pg_current_snapshot())`: every transaction with a smaller id has finished, and
 * every transaction still open or yet to start has an id at least that large. So the cursor never
 * passes a version that a slower transaction may still commit. docs/server.md has the argument.
 *
 * Hard deletes and changes of tracked fields go to `<table>__replica_log` with the old and new
 * values. One transaction is one version, so the log keeps one entry per (version, id) holding the
 * values from before the transaction and after it (later changes in the same transaction update
 * the entry, a re-insert after a delete revives it): a pull never sees two meanings for one key.
 *
 * The same AFTER trigger announces the write on the `redux_replica` NOTIFY channel, so every
 * server instance hears writes made through any of them or with plain SQL (postgres-notify.ts).
 */
export const DOLLAR = '$replica$'

// Long (about 75 lines) because it is the DDL itself, statement after statement, in the order
// PostgreSQL must run it; the SQL reads best as one script.
export function installPostgresSql(d: Dialect, t: TableInfo, schema: string | undefined): string[] {
  for (const id of [t.table, ...t.allColumns]) if (id.includes(DOLLAR)) throw new Error(`redux-replica: identifier ${id} contains ${DOLLAR}`)
  const T = d.table(t.table)
  const L = d.table(t.table + LOG_SUFFIX)
  const pk = q(t.primaryKey)
  const V = q(VERSION_COL)
  const fn = (suffix: string) => (schema ? `${q(schema)}.` : '') + q(`${t.table}__replica_${suffix}`)
  const trg = (suffix: string) => q(`${t.table}__replica_${suffix}`)
  const idx = (suffix: string) => q(`${t.table}__replica_${suffix}`)
  const type = (c: string) => {
    const ty = t.types.get(c)
    if (!ty) throw new Error(`redux-replica: no type for column ${c} of ${t.table}`)
    return ty
  }
  const version = 'pg_current_xact_id()::text::bigint'
  const tr = t.tracked
  const oCols = tr.map((f) => `, ${q(oldCol(f))}`).join('')
  const nCols = tr.map((f) => `, ${q(newCol(f))}`).join('')
  const olds = tr.map((f) => `, OLD.${q(f)}`).join('')
  const news = tr.map((f) => `, NEW.${q(f)}`).join('')
  const setNew = tr.map((f) => `, ${q(newCol(f))} = NEW.${q(f)}`).join('')
  const setExcluded = tr.map((f) => `, ${q(newCol(f))} = EXCLUDED.${q(newCol(f))}`).join('')
  const gone = (id: string) =>
    `INSERT INTO ${L} (${V}, ${pk}, gone${oCols}) VALUES (v, ${id}, 1${olds}) ON CONFLICT (${V}, ${pk}) DO UPDATE SET gone = 1;`
  const revive = (id: string) => `UPDATE ${L} SET gone = 0${setNew} WHERE ${V} = v AND ${pk} = ${id};`
  const moved = tr.map((f) => `OLD.${q(f)} IS DISTINCT FROM NEW.${q(f)}`).join(' OR ')

  const stmts = [
    `ALTER TABLE ${T} ADD COLUMN IF NOT EXISTS ${V} bigint`,
    `ALTER TABLE ${T} ADD COLUMN IF NOT EXISTS ${q(DELETED_COL)} boolean NOT NULL DEFAULT false`,
    `CREATE TABLE IF NOT EXISTS ${L} (${V} bigint NOT NULL, ${pk} ${type(t.primaryKey)} NOT NULL, gone smallint NOT NULL DEFAULT 0, PRIMARY KEY (${V}, ${pk}))`,
    ...tr.map((f) => `ALTER TABLE ${L} ADD COLUMN IF NOT EXISTS ${q(oldCol(f))} ${type(f)}, ADD COLUMN IF NOT EXISTS ${q(newCol(f))} ${type(f)}`),
    `DROP TRIGGER IF EXISTS ${trg('bv')} ON ${T}`,
    `DROP TRIGGER IF EXISTS ${trg('al')} ON ${T}`,
    // Rows that predate the install get version 0: they come first, in primary-key order.
    `UPDATE ${T} SET ${V} = 0 WHERE ${V} IS NULL`,
    `CREATE INDEX IF NOT EXISTS ${idx('v')} ON ${T} (${V}, ${pk})`,
    ...tr.map((f) => `CREATE INDEX IF NOT EXISTS ${idx(`v_${f}`)} ON ${T} (${q(f)}, ${V}, ${pk})`),
    ...(t.updatedAt
      ? [
          `CREATE INDEX IF NOT EXISTS ${idx('u')} ON ${T} (${q(t.updatedAt)}, ${pk})`,
          ...[...t.filterable].map((f) => `CREATE INDEX IF NOT EXISTS ${idx(`u_${f}`)} ON ${T} (${q(f)}, ${q(t.updatedAt!)}, ${pk})`),
        ]
      : []),
    `CREATE OR REPLACE FUNCTION ${fn('version')}() RETURNS trigger LANGUAGE plpgsql AS ${DOLLAR}
BEGIN
  NEW.${V} := ${version};
  RETURN NEW;
END ${DOLLAR}`,
    `CREATE OR REPLACE FUNCTION ${fn('log')}() RETURNS trigger LANGUAGE plpgsql AS ${DOLLAR}
DECLARE v bigint := ${version}; p text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    ${gone(`OLD.${pk}`)}
  ELSIF TG_OP = 'INSERT' THEN
    ${revive(`NEW.${pk}`)}
  ELSIF OLD.${pk} IS DISTINCT FROM NEW.${pk} THEN
    ${gone(`OLD.${pk}`)}
    ${revive(`NEW.${pk}`)}
  ${
    moved
      ? `ELSIF ${moved} THEN
    INSERT INTO ${L} (${V}, ${pk}, gone${oCols}${nCols}) VALUES (v, OLD.${pk}, 0${olds}${news})
      ON CONFLICT (${V}, ${pk}) DO UPDATE SET gone = 0${setExcluded};`
      : ''
  }
  END IF;
  ${notifySql(t.tracked)}
  RETURN NULL;
END ${DOLLAR}`,
    `CREATE TRIGGER ${trg('bv')} BEFORE INSERT OR UPDATE ON ${T} FOR EACH ROW EXECUTE FUNCTION ${fn('version')}()`,
    `CREATE TRIGGER ${trg('al')} AFTER INSERT OR UPDATE OR DELETE ON ${T} FOR EACH ROW EXECUTE FUNCTION ${fn('log')}()`,
  ]
  return stmts
}
