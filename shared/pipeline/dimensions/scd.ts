// Set-based dimension merges from staging, written once with Kysely so they compile to
// PostgreSQL and T-SQL alike. Each runs inside the load transaction of its entity.
//   SCD1: changed rows are overwritten, new business keys inserted.
//   SCD2: a change in a tracked column closes the current version (valid_to = the source's
//         updated_at) and opens a new one; other columns are overwritten on the current version.
// A staged row only counts as a change when it is newer than what the dimension holds
// (source_updated_at), so re-running a batch or an overlapping window changes nothing.
// Surrogate keys: max(key) + row_number() in business-key order — no gaps after a rollback, the
// same keys for the same input.
import { sql, type AliasedSelectQueryBuilder, type Expression, type SqlBool, type Transaction } from 'kysely';
import { boolLit } from '../../db/portable-sql.js';
import type { NamesIn, WarehouseTables } from '../../db/schema/index.js';

// UTC instants, sent as parameters: every engine's driver sends a Date as that instant whatever
// the process's or the server's time zone (shared/db/postgres.ts sends Dates as UTC ISO text; pg's
// default, local time with a minutes-only offset, moved 1900-01-01 by the zone's 1900 LMT seconds).
export const FAR_PAST = new Date('1900-01-01T00:00:00.000Z');
export const FAR_FUTURE = new Date('9999-12-31T00:00:00.000Z');

/** The dimensions the merges load (dim_data, the calendar, is loaded apart). */
export type DimensionTable = Exclude<Extract<NamesIn<WarehouseTables, 'dw'>, `dim_${string}`>, 'dim_data'>;
type ColumnOf<T extends DimensionTable> = T extends DimensionTable ? keyof WarehouseTables[`dw.${T}`] & string : never;

/** A dimension and how it is fed, checked against the schema by dimension(). */
export interface DimensionDef<T extends DimensionTable = DimensionTable, C extends string = string> {
  /** e.g. 'dim_vendedor' in schema dw */
  table: T;
  key: ColumnOf<T>;
  /** business key column in the dimension (the source id) */
  id: ColumnOf<T>;
  /**
   * The staged rows as the dimension sees them, aliased "s": must select `id`, `updated_at` and
   * every column in `columns` under the dimension's column names.
   */
  source: (trx: Transaction<WarehouseTables>) => AliasedSelectQueryBuilder<Record<'id' | 'updated_at' | C, unknown>, 's'>;
  columns: readonly C[];
  /** SCD2 only: columns whose change opens a new version */
  tracked?: readonly C[];
}

/** A dimension's definition, checked: its key, id and columns exist in the table, and the source selects them all. */
export const dimension = <T extends DimensionTable, C extends ColumnOf<T>>(def: DimensionDef<T, C>): DimensionDef => def;

/**
 * The merges are one generic shape for every dimension: their table and column names are
 * assembled at run time (`dw.${t}`, `s.${c}`, `dim_cliente.${c}`), which Kysely cannot type, so
 * they are built on the untyped view of the transaction. The names were checked where the
 * dimension was defined (dimension()).
 */
type Untyped = Transaction<any>;

export interface MergeCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

const differs = (eb: any, table: string, columns: readonly string[]): Expression<SqlBool> =>
  eb.or(columns.map((c) => eb(eb.ref(`s.${c}`), 'is distinct from', eb.ref(`${table}.${c}`))));

async function stagedCount(trx: Untyped, def: DimensionDef): Promise<number> {
  const r = await trx
    .selectFrom(def.source(trx))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

function nextKeys(trx: Untyped, def: DimensionDef) {
  // keys of real members start at 1; -1 is the unknown member
  return trx
    .selectFrom(`dw.${def.table}`)
    .select((eb) => eb.fn.coalesce(eb.fn.max(def.key), eb.val(0)).as('k'))
    .where(def.key, '>', 0);
}

export async function mergeScd1(typed: Transaction<WarehouseTables>, def: DimensionDef, runId: string): Promise<MergeCounts> {
  const trx: Untyped = typed;
  const total = await stagedCount(trx, def);
  const t: string = def.table;
  const updated = await trx
    .updateTable(`dw.${t}`)
    .from(def.source(trx))
    .set((eb) => ({
      ...Object.fromEntries(def.columns.map((c) => [c, eb.ref(`s.${c}`)])),
      source_updated_at: eb.ref('s.updated_at'),
      run_id: runId,
      loaded_at: new Date(),
    }))
    .whereRef('s.id', '=', `${t}.${def.id}`)
    .whereRef('s.updated_at', '>', `${t}.source_updated_at`)
    .where((eb) => differs(eb, t, def.columns))
    .executeTakeFirst();
  const inserted = await trx
    .insertInto(`dw.${t}`)
    .columns([def.key, def.id, ...def.columns, 'source_updated_at', 'run_id'])
    .expression((eb: any) =>
      eb
        .selectFrom(def.source(trx))
        .select([
          sql`(${nextKeys(trx, def)}) + row_number() over (order by ${sql.ref('s.id')})`.as('k'),
          's.id',
          ...def.columns.map((c) => `s.${c}`),
          's.updated_at',
          sql.val(runId).as('run_id'),
        ])
        .where(({ not, exists, selectFrom }: any) =>
          not(
            exists(
              selectFrom(`dw.${t} as d`)
                .select('d.' + def.key)
                .whereRef(`d.${def.id}`, '=', 's.id'),
            ),
          ),
        ),
    )
    .executeTakeFirst();
  const u = Number(updated.numUpdatedRows ?? 0);
  const i = Number(inserted.numInsertedOrUpdatedRows ?? 0);
  return { inserted: i, updated: u, unchanged: total - u - i };
}

export async function mergeScd2(typed: Transaction<WarehouseTables>, def: DimensionDef, runId: string): Promise<MergeCounts> {
  const trx: Untyped = typed;
  const tracked = def.tracked ?? [];
  const type1 = def.columns.filter((c) => !tracked.includes(c));
  const total = await stagedCount(trx, def);
  const t: string = def.table;
  const isCurrent: string = `${t}.is_current`;

  // 1. Close the current version of members whose tracked columns changed.
  const closed = await trx
    .updateTable(`dw.${t}`)
    .from(def.source(trx))
    .set((eb) => ({ valid_to: eb.ref('s.updated_at'), is_current: false, run_id: runId, loaded_at: new Date() }))
    .whereRef('s.id', '=', `${t}.${def.id}`)
    .where(isCurrent, '=', true)
    .whereRef('s.updated_at', '>', `${t}.source_updated_at`)
    .where((eb) => differs(eb, t, tracked))
    .executeTakeFirst();

  // 2. Open a version for every staged member without a current one: new members (valid from
  //    the beginning of time, so older facts still find them) and the ones just closed.
  const opened = await trx
    .insertInto(`dw.${t}`)
    .columns([def.key, def.id, ...def.columns, 'valid_from', 'valid_to', 'is_current', 'source_updated_at', 'run_id'])
    .expression((eb: any) =>
      eb
        .selectFrom(def.source(trx))
        .select((sb: any) => [
          sql`(${nextKeys(trx, def)}) + row_number() over (order by ${sql.ref('s.id')})`.as('k'),
          's.id',
          ...def.columns.map((c) => `s.${c}`),
          sb
            .case()
            .when(
              sb.exists(
                sb
                  .selectFrom(`dw.${t} as h`)
                  .select('h.' + def.key)
                  .whereRef(`h.${def.id}`, '=', 's.id'),
              ),
            )
            .then(sb.ref('s.updated_at'))
            .else(FAR_PAST)
            .end()
            .as('valid_from'),
          sql.val(FAR_FUTURE).as('valid_to'),
          boolLit(trx, true).as('is_current'),
          's.updated_at',
          sql.val(runId).as('run_id'),
        ])
        .where(({ not, exists, selectFrom }: any) =>
          not(
            exists(
              selectFrom(`dw.${t} as d`)
                .select('d.' + def.key)
                .whereRef(`d.${def.id}`, '=', 's.id')
                .where('d.is_current', '=', true),
            ),
          ),
        ),
    )
    .executeTakeFirst();

  // 3. Overwrite the other columns on the current version.
  let overwritten = 0;
  if (type1.length > 0) {
    const r = await trx
      .updateTable(`dw.${t}`)
      .from(def.source(trx))
      .set((eb) => ({
        ...Object.fromEntries(type1.map((c) => [c, eb.ref(`s.${c}`)])),
        source_updated_at: eb.ref('s.updated_at'),
        run_id: runId,
        loaded_at: new Date(),
      }))
      .whereRef('s.id', '=', `${t}.${def.id}`)
      .where(isCurrent, '=', true)
      .whereRef('s.updated_at', '>', `${t}.source_updated_at`)
      .where((eb) => differs(eb, t, type1))
      .executeTakeFirst();
    overwritten = Number(r.numUpdatedRows ?? 0);
  }
  const versions = Number(closed.numUpdatedRows ?? 0);
  const inserted = Number(opened.numInsertedOrUpdatedRows ?? 0) - versions;
  const updated = versions + overwritten;
  return { inserted, updated, unchanged: total - inserted - updated };
}
