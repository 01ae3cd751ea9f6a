// Set-based upsert of a table from a source query, keyed on one column, portable between
// PostgreSQL and T-SQL (UPDATE ... FROM, then INSERT ... SELECT ... WHERE NOT EXISTS; the run
// lease makes this safe without MERGE's concurrency pitfalls). A row is only rewritten when a
// column differs (and, with `newerThan`, when the source row is newer), so re-running the same
// input changes nothing.
import { sql, type Expression, type SqlBool, type Transaction } from 'kysely';

export interface UpsertSpec {
  /** schema-qualified target, e.g. 'dw.fact_vendas' */
  target: string;
  key: string;
  columns: readonly string[];
  /** the source rows, aliased "s", selecting `key` and every column */
  source: (trx: Transaction<any>) => any;
  /** only replace a row when s.<column> > target.<column> (out-of-order batches never win) */
  newerThan?: string;
  /** constant values written on insert and update (run id, load time) */
  stamp?: Record<string, unknown>;
}

export interface UpsertCounts {
  inserted: number;
  updated: number;
}

export async function upsert(trx: Transaction<any>, spec: UpsertSpec): Promise<UpsertCounts> {
  const table = spec.target.split('.').pop()!;
  const stamp = spec.stamp ?? {};
  const updated = await trx
    .updateTable(spec.target)
    .from(spec.source(trx))
    .set((eb) => ({ ...Object.fromEntries(spec.columns.map((c) => [c, eb.ref(`s.${c}`)])), ...stamp }))
    .whereRef(`s.${spec.key}`, '=', `${table}.${spec.key}`)
    .$if(spec.newerThan !== undefined, (q) => q.whereRef(`s.${spec.newerThan}`, '>', `${table}.${spec.newerThan}`))
    .where((eb) => eb.or(spec.columns.map((c) => eb(eb.ref(`s.${c}`), 'is distinct from', eb.ref(`${table}.${c}`)))) as Expression<SqlBool>)
    .executeTakeFirst();
  const stampColumns = Object.keys(stamp);
  const inserted = await trx
    .insertInto(spec.target)
    .columns([spec.key, ...spec.columns, ...stampColumns])
    .expression((eb: any) =>
      eb
        .selectFrom(spec.source(trx))
        .select([`s.${spec.key}`, ...spec.columns.map((c) => `s.${c}`), ...stampColumns.map((c) => sql.val(stamp[c]).as(c))])
        .where(({ not, exists, selectFrom }: any) =>
          not(exists(selectFrom(`${spec.target} as t`).select(`t.${spec.key}`).whereRef(`t.${spec.key}`, '=', `s.${spec.key}`))),
        ),
    )
    .executeTakeFirst();
  return { inserted: Number(inserted.numInsertedOrUpdatedRows ?? 0), updated: Number(updated.numUpdatedRows ?? 0) };
}
