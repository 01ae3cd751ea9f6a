// The queries of the source-to-warehouse reconciliation (reconciliation.ts has the rule): per
// month, a count and exact money sums on each side, the source rows changed after the cutoff, and
// the current version of quarantined source rows. Built with Kysely and the portable helpers so
// the same code compiles to T-SQL; sums are cast to text in SQL so no driver turns them into floats.
//
// Their shape is what the whole-history reconciliation of every run costs (README "What the checks
// cost"): the source reads every item and its order once, grouped by (discounted?, month) so the
// sales and the discounts share three sums instead of six conditional ones; on PostgreSQL the
// group keys are expressions the source keeps statistics on (migration oltp/0002), so the planner
// sees ~48 groups and aggregates in parallel workers. The warehouse sums each order date's facts
// first (an integer key, no join per fact) and adds the days of a month up through the calendar.
import { sql, type CompiledQuery, type Expression, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import { boolLit, isMssql, monthOf } from '../db/portable-sql.js';
import type { OltpTables, WarehouseTables } from '../db/schema/index.js';
import type { EntityName } from '../pipeline/entities.js';

/** A built query: executed by the check, compiled for the golden T-SQL. */
export interface Query<R> {
  execute(): Promise<R[]>;
  compile(): CompiledQuery;
}

/** Per month: `month` ('YYYY-MM'), `n` rows, sums `s0`, `s1`... as decimal text. */
export type AggregateQuery = Query<Record<string, unknown>>;

/** A quarantinable source entity: the fact ids its rows with these keys produce, with the rows' current version. */
export interface QuarantineFeed {
  entity: EntityName;
  rows(oltp: Kysely<OltpTables>, keys: readonly number[]): Query<{ fact_id: number | string; key: number | string; updated_at: Date | string }>;
}

export interface ReconciledFact {
  name: string;
  description: string;
  /** the entities the fact is built from: the cutoff is the oldest of their watermarks */
  feeds: readonly EntityName[];
  /** what `n` counts, and what each sum is, for samples */
  countLabel: string;
  measures: readonly string[];
  /**
   * The source's figures per month over rows whose feeds are all at or before the cutoff (rows
   * `month`, `n`, `s0`, `s1`..., maybe more columns that split a month); `only`: of these fact ids.
   */
  source(oltp: Kysely<OltpTables>, cutoff: Date, only?: readonly number[]): AggregateQuery;
  /**
   * Names the source read: facts with the same one share it within a check run (sales and
   * discounts read the items once); `ofSource` says which of its rows are this fact's (all of
   * them for sales, those of discounted items for discounts).
   */
  sourceRead: string;
  ofSource(row: Record<string, unknown>): boolean;
  /** the warehouse's figures per month (`month`, `n`, `s0`, `s1`...); `only`: of these fact ids */
  warehouse(dw: Kysely<WarehouseTables>, only?: readonly number[]): AggregateQuery;
  /** the fact ids whose source rows changed after the cutoff (one query per feed) */
  changed(oltp: Kysely<OltpTables>, cutoff: Date): Query<{ id: number | string }>[];
  quarantine: readonly QuarantineFeed[];
}

/** One snapshot of the source for a read and a cutoff: its aggregate rows, and the fact ids whose source rows changed after the cutoff. */
export interface SourceAggregate {
  rows: Record<string, unknown>[];
  changed: Set<number>;
}

/** Source aggregates read ahead of the gate, by readKey. */
export type PrefetchedReads = ReadonlyMap<string, Promise<SourceAggregate>>;

/** Names a source read at a cutoff: facts with the same read and cutoff share it. */
export const readKey = (fact: ReconciledFact, cutoff: Date): string => `${fact.sourceRead}@${cutoff.toISOString()}`;

/** sum(column) as exact text (T-SQL and PostgreSQL both cast decimal to varchar exactly). */
const exactSum = (column: string) => sql<string | null>`cast(sum(${sql.ref(column)}) as varchar(40))`;

/** The three money measures of an order item, in the order of ITEM_MEASURES. */
const ITEM_MONEY = (alias: string) => [`${alias}.valor_bruto`, `${alias}.valor_desconto`, `${alias}.valor_liquido`];
const ITEM_MEASURES = ['gross', 'discount', 'net'] as const;

/**
 * Rows grouped by the month of `date` (and by other keys before it), with the month as 'YYYY-MM'
 * in `month`: the grouped query (`grouped`, given the month expression to select and group by) is
 * wrapped in an outer select of `columns`, the same statement shape on both engines. T-SQL groups by
 * the month text itself (convert style 126). PostgreSQL groups by the month's first day with
 * date_trunc and formats only the groups with to_char: for an instant (`kind` 'instant', a
 * timestamptz) the month of its UTC wall-clock time (the expression migration oltp/0002 keeps
 * statistics on for the order date, so the planner knows there are few groups), for a calendar
 * date its own month.
 */
function byMonth(
  db: Kysely<any>,
  date: Expression<unknown>,
  kind: 'instant' | 'date',
  grouped: (month: RawBuilder<unknown>) => SelectQueryBuilder<any, any, Record<string, unknown>>,
  columns: readonly string[],
): AggregateQuery {
  const mssql = isMssql(db);
  const start = kind === 'instant' ? sql`date_trunc('month', ${date} at time zone 'UTC')` : sql`date_trunc('month', ${date})`;
  const inner = grouped(mssql ? monthOf(db, date) : start);
  const month = mssql ? sql.ref('g.month') : monthOf(db, sql.ref('g.month'));
  return db.selectFrom(inner.as('g')).select([month.as('month'), ...columns.map((c) => `g.${c}`)]);
}

/**
 * Live (not soft-deleted) items, by the month of their order, with their order at or before the
 * cutoff, and by whether they have a discount fact (`discounted` 1: the sales load's rule,
 * facts/sales.ts: a campaign or an amount off): n, s0..s2 per (discounted, month), in one read of
 * the source that both item reconciliations share (sales add both rows of a month up, discounts
 * take the discounted one).
 */
function sourceItems(oltp: Kysely<OltpTables>, cutoff: Date, only?: readonly number[]): AggregateQuery {
  let q = oltp
    .selectFrom('oltp.itens_pedido as i')
    .innerJoin('oltp.pedidos as o', 'o.id', 'i.pedido_id')
    .where('i.deleted_at', 'is', null)
    .where('i.updated_at', '<=', cutoff)
    .where('o.updated_at', '<=', cutoff);
  if (only) q = q.where('i.id', 'in', only);
  // the zero is a literal: the condition is repeated in the select and the group by
  const discounted = sql<number>`case when (${sql.ref('i.campanha_id')} is not null or ${sql.ref('i.valor_desconto')} > ${sql.lit(0)}) then 1 else 0 end`;
  return byMonth(
    oltp,
    sql.ref('o.data_pedido'),
    'instant',
    (month) =>
      q
        .select((eb) => [month.as('month'), discounted.as('discounted'), eb.fn.countAll().as('n'), ...ITEM_MONEY('i').map((c, k) => exactSum(c).as(`s${k}`))])
        .groupBy([discounted, month]),
    ['discounted', 'n', 's0', 's1', 's2'],
  );
}

/**
 * Live facts of an item-grained fact table, by the month of their order date key: summed per
 * order date first (`data_pedido_key`, one integer per fact), then the dates through dim_data.
 */
function warehouseItems(dw: Kysely<WarehouseTables>, table: 'dw.fact_vendas' | 'dw.fact_descontos', only?: readonly number[]): AggregateQuery {
  // both tables have every column used here; Kysely cannot select from a union of table names, hence the narrowing
  let days = dw.selectFrom(`${table as 'dw.fact_vendas'} as f`).where('f.removido', '=', boolLit(dw, false));
  if (only) days = days.where('f.item_id', 'in', only);
  const perDay = days
    .select((eb) => [
      'f.data_pedido_key',
      eb.fn.countAll().as('n'),
      eb.fn.sum('f.valor_bruto').as('gross'),
      eb.fn.sum('f.valor_desconto').as('discount'),
      eb.fn.sum('f.valor_liquido').as('net'),
    ])
    .groupBy('f.data_pedido_key');
  return dw
    .selectFrom(perDay.as('x'))
    .innerJoin('dw.dim_data as d', 'd.data_key', 'x.data_pedido_key')
    .select((eb) => ['d.ano_mes as month', eb.fn.sum('x.n').as('n'), ...['x.gross', 'x.discount', 'x.net'].map((c, k) => exactSum(c).as(`s${k}`))])
    .groupBy('d.ano_mes');
}

/** Items whose own row, or whose order's, changed after the cutoff. */
const changedItems = (oltp: Kysely<OltpTables>, cutoff: Date) => [
  oltp.selectFrom('oltp.itens_pedido').select('id').where('updated_at', '>', cutoff),
  oltp.selectFrom('oltp.itens_pedido as i').innerJoin('oltp.pedidos as o', 'o.id', 'i.pedido_id').select('i.id').where('o.updated_at', '>', cutoff),
];

/** A quarantined item excludes itself; a quarantined order, its items. */
const ITEM_QUARANTINE: readonly QuarantineFeed[] = [
  {
    entity: 'itens_pedido',
    rows: (oltp, keys) => oltp.selectFrom('oltp.itens_pedido').select(['id as fact_id', 'id as key', 'updated_at']).where('id', 'in', keys),
  },
  {
    entity: 'pedidos',
    rows: (oltp, keys) =>
      oltp
        .selectFrom('oltp.pedidos as o')
        .innerJoin('oltp.itens_pedido as i', 'i.pedido_id', 'o.id')
        .select(['i.id as fact_id', 'o.id as key', 'o.updated_at'])
        .where('o.id', 'in', keys),
  },
];

/** Sales and discounts: item-grained facts of the same orders and items, the discounts a subset. */
const itemFact = (name: string, description: string, countLabel: string, table: 'dw.fact_vendas' | 'dw.fact_descontos'): ReconciledFact => ({
  name,
  description,
  feeds: ['pedidos', 'itens_pedido'],
  countLabel,
  measures: ITEM_MEASURES,
  source: sourceItems,
  sourceRead: 'items',
  ofSource: table === 'dw.fact_descontos' ? (row) => Number(row.discounted) === 1 : () => true,
  warehouse: (dw, only) => warehouseItems(dw, table, only),
  changed: changedItems,
  quarantine: ITEM_QUARANTINE,
});

export const SALES = itemFact(
  'reconcile_sales',
  'Per order month, the live (not removed) items of dw.fact_vendas match the source items exactly: count and sums of gross, discount and net, to the unit, as of the watermarks.',
  'items',
  'dw.fact_vendas',
);

export const DISCOUNTS = itemFact(
  'reconcile_discounts',
  'Per order month, the live discount facts of dw.fact_descontos match the source items with a campaign or an amount off: count and sums of gross, discount and net, as of the watermarks.',
  'discounted items',
  'dw.fact_descontos',
);

export const TARGETS: ReconciledFact = {
  name: 'reconcile_targets',
  description: 'Per target month, dw.fact_metas matches the source targets exactly: count and sum of valor_meta, as of the watermark of metas.',
  // a target's month and amount come from metas alone (the seller only gives it its key)
  feeds: ['metas'],
  countLabel: 'targets',
  measures: ['target'],
  sourceRead: 'metas',
  ofSource: () => true,
  source(oltp, cutoff, only) {
    let q = oltp.selectFrom('oltp.metas as m').where('m.updated_at', '<=', cutoff);
    if (only) q = q.where('m.id', 'in', only);
    return byMonth(
      oltp,
      sql.ref('m.mes'),
      'date',
      (month) => q.select((eb) => [month.as('month'), eb.fn.countAll().as('n'), exactSum('m.valor_meta').as('s0')]).groupBy(month),
      ['n', 's0'],
    );
  },
  warehouse(dw, only) {
    let q = dw.selectFrom('dw.fact_metas as f').innerJoin('dw.dim_data as d', 'd.data_key', 'f.mes_key');
    if (only) q = q.where('f.meta_id', 'in', only);
    return q.select((eb) => ['d.ano_mes as month', eb.fn.countAll().as('n'), exactSum('f.valor_meta').as('s0')]).groupBy('d.ano_mes');
  },
  changed: (oltp, cutoff) => [oltp.selectFrom('oltp.metas').select('id').where('updated_at', '>', cutoff)],
  quarantine: [
    { entity: 'metas', rows: (oltp, keys) => oltp.selectFrom('oltp.metas').select(['id as fact_id', 'id as key', 'updated_at']).where('id', 'in', keys) },
  ],
};
