// Set-based upsert of a table from a source query, keyed on one column, portable between
// PostgreSQL and T-SQL (UPDATE ... FROM, then INSERT ... SELECT ... WHERE NOT EXISTS; the run
// lease makes this safe without MERGE's concurrency pitfalls). A row is only rewritten when a
// column differs (and, with `newerThan`, when the source row is newer), so re-running the same
// input changes nothing.
import { sql, type AliasedSelectQueryBuilder, type Expression, type SqlBool, type Transaction } from 'kysely';
import type { TablesIn, WarehouseTables } from '../db/schema/index.js';

/** A table an upsert writes: the facts (dw) and the ODS copy (ods). */
export type UpsertTarget = TablesIn<WarehouseTables, 'dw' | 'ods'>;
/** A column of the table T (of any of them, for a union of tables). */
export type ColumnOf<T extends UpsertTarget> = T extends UpsertTarget ? keyof WarehouseTables[T] & string : never;

/** Checked against the schema: the target's key and columns exist, and the source selects every one of them. */
export interface UpsertSpec<T extends UpsertTarget, K extends ColumnOf<T>, C extends ColumnOf<T>> {
  /** schema-qualified target, e.g. 'dw.fact_vendas' */
  target: T;
  key: K;
  columns: readonly C[];
  /** the source rows, aliased "s", selecting `key` and every column */
  source: (trx: Transaction<WarehouseTables>) => AliasedSelectQueryBuilder<Record<K | C, unknown>, 's'>;
  /** only replace a row when s.<column> > target.<column> (out-of-order batches never win) */
  newerThan?: C;
  /** constant values written on insert and update (run id, load time) */
  stamp?: Partial<Record<ColumnOf<T>, unknown>>;
}

export interface UpsertCounts {
  inserted: number;
  updated: number;
}

export async function upsert<T extends UpsertTarget, K extends ColumnOf<T>, C extends ColumnOf<T>>(
  trx: Transaction<WarehouseTables>,
  spec: UpsertSpec<T, K, C>,
): Promise<UpsertCounts> {
  // One generic shape for any target: every name below is assembled at run time (`s.${c}`,
  // `fact_vendas.${c}`), which Kysely cannot type, so the statements are built on the untyped view
  // of the same transaction. The names themselves were checked against the schema in `spec`.
  const db: Transaction<any> = trx;
  const { target, key, columns, newerThan }: { target: string; key: string; columns: readonly string[]; newerThan?: string } = spec;
  const source = (): AliasedSelectQueryBuilder<any, 's'> => spec.source(trx);
  const table = target.split('.').pop()!;
  const stamp: Record<string, unknown> = spec.stamp ?? {};
  const updated = await db
    .updateTable(target)
    .from(source())
    .set((eb) => ({ ...Object.fromEntries(columns.map((c) => [c, eb.ref(`s.${c}`)])), ...stamp }))
    .whereRef(`s.${key}`, '=', `${table}.${key}`)
    .$if(newerThan !== undefined, (q) => q.whereRef(`s.${newerThan}`, '>', `${table}.${newerThan}`))
    .where((eb) => eb.or(columns.map((c) => eb(eb.ref(`s.${c}`), 'is distinct from', eb.ref(`${table}.${c}`)))) as Expression<SqlBool>)
    .executeTakeFirst();
  const stampColumns = Object.keys(stamp);
  const inserted = await db
    .insertInto(target)
    .columns([key, ...columns, ...stampColumns])
    .expression((eb) =>
      eb
        .selectFrom(source())
        .select([`s.${key}`, ...columns.map((c) => `s.${c}`), ...stampColumns.map((c) => sql.val(stamp[c]).as(c))])
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom(`${target} as t`).select(`t.${key}`).whereRef(`t.${key}`, '=', `s.${key}`)))),
    )
    .executeTakeFirst();
  return { inserted: Number(inserted.numInsertedOrUpdatedRows ?? 0), updated: Number(updated.numUpdatedRows ?? 0) };
}
