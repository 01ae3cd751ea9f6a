// The queries of the source-to-warehouse reconciliation (reconciliation.ts has the rule): per
// month, a count and exact money sums on each side, the source rows changed after the cutoff, and
// the current version of quarantined source rows. Built with Kysely and the portable helpers so
// the same code compiles to T-SQL; sums are cast to text in SQL so no driver turns them into floats.
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { boolLit, monthOf } from '../db/portable-sql.js';
import type { Decimal, OltpTables, WarehouseTables } from '../db/schema/index.js';
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
  /** the source's figures per month over rows whose feeds are all at or before the cutoff; `only`: of these fact ids */
  source(oltp: Kysely<OltpTables>, cutoff: Date, only?: readonly number[]): AggregateQuery;
  /**
   * Names the source read: facts with the same one share it within a check run (sales and
   * discounts read the items once); `columns` are this fact's count and sums in its rows.
   */
  sourceRead: string;
  columns: { n: string; sums: readonly string[] };
  /** the warehouse's figures per month; `only`: of these fact ids */
  warehouse(dw: Kysely<WarehouseTables>, only?: readonly number[]): AggregateQuery;
  /** the fact ids whose source rows changed after the cutoff (one query per feed) */
  changed(oltp: Kysely<OltpTables>, cutoff: Date): Query<{ id: number | string }>[];
  quarantine: readonly QuarantineFeed[];
}

/** sum(column) as exact text (T-SQL and PostgreSQL both cast decimal to varchar exactly). */
const exactSum = (column: string) => sql<string | null>`cast(sum(${sql.ref(column)}) as varchar(40))`;

/** The three money measures of an order item, in the order of ITEM_MEASURES. */
const ITEM_MONEY = (alias: string) => [`${alias}.valor_bruto`, `${alias}.valor_desconto`, `${alias}.valor_liquido`];
const ITEM_MEASURES = ['gross', 'discount', 'net'] as const;

/**
 * Live (not soft-deleted) items, by the month of their order, with their order at or before the
 * cutoff: all of them (n, s0..s2: the sales) and those with a discount fact (dn, d0..d2: the sales
 * load's rule, facts/sales.ts: a campaign or an amount off), in one read of the source that both
 * item reconciliations share.
 */
function sourceItems(oltp: Kysely<OltpTables>, cutoff: Date, only?: readonly number[]): AggregateQuery {
  const month = monthOf(oltp, sql.ref('o.data_pedido'));
  let q = oltp
    .selectFrom('oltp.itens_pedido as i')
    .innerJoin('oltp.pedidos as o', 'o.id', 'i.pedido_id')
    .where('i.deleted_at', 'is', null)
    .where('i.updated_at', '<=', cutoff)
    .where('o.updated_at', '<=', cutoff);
  if (only) q = q.where('i.id', 'in', only);
  return q
    .select((eb) => {
      // the zero is a literal: the condition is repeated in four aggregates
      const discounted = eb.or([eb('i.campanha_id', 'is not', null), eb('i.valor_desconto', '>', sql<Decimal>`${sql.lit(0)}`)]);
      return [
        month.as('month'),
        eb.fn.countAll().as('n'),
        ...ITEM_MONEY('i').map((c, k) => exactSum(c).as(`s${k}`)),
        eb.fn.sum(eb.case().when(discounted).then(sql.lit(1)).else(sql.lit(0)).end()).as('dn'),
        ...ITEM_MONEY('i').map((c, k) => sql<string | null>`cast(sum(${eb.case().when(discounted).then(sql.ref(c)).end()}) as varchar(40))`.as(`d${k}`)),
      ];
    })
    .groupBy(month);
}

/** Live facts of an item-grained fact table, by the month of their order date key. */
function warehouseItems(dw: Kysely<WarehouseTables>, table: 'dw.fact_vendas' | 'dw.fact_descontos', only?: readonly number[]): AggregateQuery {
  // both tables have every column used here; Kysely cannot join from a union of table names, hence the narrowing
  let q = dw
    .selectFrom(`${table as 'dw.fact_vendas'} as f`)
    .innerJoin('dw.dim_data as d', 'd.data_key', 'f.data_pedido_key')
    .where('f.removido', '=', boolLit(dw, false));
  if (only) q = q.where('f.item_id', 'in', only);
  return q.select((eb) => ['d.ano_mes as month', eb.fn.countAll().as('n'), ...ITEM_MONEY('f').map((c, k) => exactSum(c).as(`s${k}`))]).groupBy('d.ano_mes');
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
  columns: table === 'dw.fact_descontos' ? { n: 'dn', sums: ['d0', 'd1', 'd2'] } : { n: 'n', sums: ['s0', 's1', 's2'] },
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
  columns: { n: 'n', sums: ['s0'] },
  source(oltp, cutoff, only) {
    const month = monthOf(oltp, sql.ref('m.mes'));
    let q = oltp.selectFrom('oltp.metas as m').where('m.updated_at', '<=', cutoff);
    if (only) q = q.where('m.id', 'in', only);
    return q.select((eb) => [month.as('month'), eb.fn.countAll().as('n'), exactSum('m.valor_meta').as('s0')]).groupBy(month);
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
