// The certified KPI views (issue 12): the dataset the dashboards, the KPI API and BI tools (Power
// BI) read. One view per KPI family; every column and rule is documented in docs/kpis.md.
//
//   dw.vw_vendas     one row per live order item (removed items, removido = true, are left out),
//                    cancelled orders kept and flagged (cancelado = 1) for the cancellation rate;
//   dw.vw_descontos  one row per live discounted item (dw.fact_descontos) with its sale's columns
//                    from vw_vendas, its margin and its campaign's cost;
//   dw.vw_metas      one row per seller and month target (dw.fact_metas) with what the seller sold
//                    in that month (realizado: net revenue of its live items of non-cancelled orders,
//                    by vw_vendas's rules, read from dw.fact_vendas).
//
// The certified rule: every view joins etl.certified (the pointer the quality gates move, see
// shared/quality/certified.ts) and keeps only the sales whose order time (data_pedido, UTC) is at
// or before certified_to, and the targets whose month starts at or before it. Before the first
// certified run (certified_to null) the views are empty. Each row carries certified_to as
// certificado_ate, so a BI tool shows "dados certificados até ..." without another query.
//
// Conformed attributes of a sale, chosen so they can be recomputed from the source alone (the
// reference SQL in sql/kpi/reference/ does): the product's category as it is now (current
// version of dw.dim_produto, names from dw.dim_categoria); the seller and campaign by business id;
// the state of the order's delivery address as the order recorded it (ods.pedidos.estado_entrega)
// and its IBGE region; the order date key's calendar day (dw.dim_data).
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { ddl } from '../ddl.js';

/** IBGE regions of the Brazilian UFs (a sale outside Brazil, e.g. Superstore's, has none). */
const REGIOES: Record<string, readonly string[]> = {
  Norte: ['AC', 'AP', 'AM', 'PA', 'RO', 'RR', 'TO'],
  Nordeste: ['AL', 'BA', 'CE', 'MA', 'PB', 'PE', 'PI', 'RN', 'SE'],
  'Centro-Oeste': ['DF', 'GO', 'MT', 'MS'],
  Sudeste: ['ES', 'MG', 'RJ', 'SP'],
  Sul: ['PR', 'RS', 'SC'],
};

/** Discount bands on the item's effective rate valor_desconto / valor_bruto, compared without division. */
const FAIXAS: readonly [label: string, discountTimes: number, grossTimes: number][] = [
  ['0-5%', 20, 1], // desconto * 20 < bruto  <=>  rate < 5 %
  ['5-10%', 10, 1],
  ['10-20%', 5, 1],
  ['20-30%', 10, 3],
];

export async function up(db: Kysely<any>): Promise<void> {
  const t = ddl(db);
  const ref = (c: string) => sql.ref(c);
  const lit = (v: string | number) => sql.lit(v);
  const certified = (certifiedTo: Expression<unknown>) => sql<SqlBool>`${ref('c.name')} = ${lit('pipeline')} and ${certifiedTo} <= ${ref('c.certified_to')}`;

  const regiao = sql.join(
    Object.entries(REGIOES).map(([r, ufs]) => sql`when ${ref('estado')} in (${sql.join(ufs.map((u) => lit(u)))}) then ${lit(r)}`),
    sql` `,
  );
  const faixa = sql.join(
    FAIXAS.map(([label, d, g]) => sql`when ${ref('f.valor_desconto')} * ${lit(d)} < ${ref('f.valor_bruto')} * ${lit(g)} then ${lit(label)}`),
    sql` `,
  );

  const sales = db
    .selectFrom('dw.fact_vendas as f')
    .innerJoin('etl.certified as c', (j) => j.on(certified(ref('f.data_pedido'))))
    .innerJoin('dw.dim_data as d', 'd.data_key', 'f.data_pedido_key')
    .leftJoin('dw.dim_produto as dp', (j) => j.onRef('dp.produto_id', '=', 'f.produto_id').on(t.isTrue('dp.is_current')))
    .leftJoin('dw.dim_categoria as dcat', 'dcat.categoria_id', 'dp.categoria_id')
    .leftJoin('dw.dim_vendedor as dv', 'dv.vendedor_id', 'f.vendedor_id')
    .leftJoin('dw.dim_campanha as dca', (j) => j.on('dca.campanha_id', '=', sql`coalesce(${ref('f.campanha_id')}, ${lit(0)})`))
    .leftJoin('ods.pedidos as o', 'o.id', 'f.pedido_id')
    .select([
      'f.item_id',
      'f.pedido_id',
      'f.numero_item',
      sql`${ref('d.data')}`.as('data_pedido'),
      'd.ano_mes',
      'd.ano',
      'd.mes',
      'f.status',
      sql`case when ${ref('f.status')} = ${lit('cancelado')} then ${lit(1)} else ${lit(0)} end`.as('cancelado'),
      'f.cliente_id',
      'f.produto_id',
      sql`coalesce(${ref('dp.categoria_id')}, ${lit(-1)})`.as('categoria_id'),
      sql`coalesce(${ref('dcat.nome')}, ${lit('Desconhecida')})`.as('categoria'),
      sql`coalesce(${ref('f.vendedor_id')}, ${lit(-1)})`.as('vendedor_id'),
      sql`coalesce(${ref('dv.nome')}, ${lit('Desconhecido')})`.as('vendedor'),
      sql`coalesce(${ref('f.campanha_id')}, ${lit(0)})`.as('campanha_id'),
      sql`coalesce(${ref('dca.nome')}, ${lit('Desconhecida')})`.as('campanha'),
      sql`coalesce(${ref('o.estado_entrega')}, ${lit('N/D')})`.as('estado'),
      'f.quantidade',
      'f.valor_bruto',
      'f.valor_desconto',
      'f.valor_liquido',
      'f.custo_total',
      'f.margem',
      sql`case when ${ref('f.valor_desconto')} <= ${lit(0)} then ${lit('sem desconto')} ${faixa} else ${lit('30%+')} end`.as('faixa_desconto'),
      'c.certified_to as certificado_ate',
    ])
    .where(sql<SqlBool>`${ref('f.removido')} = ${t.false}`);
  // the region from the state in an outer select, so the CASE names the state once
  const vendas = db
    .selectFrom(sales.as('s'))
    .selectAll('s')
    .select(sql`case ${regiao} else null end`.as('regiao'));
  await db.schema.withSchema('dw').createView('vw_vendas').as(vendas).execute();

  const descontos = db
    .selectFrom('dw.fact_descontos as fd')
    .innerJoin('dw.vw_vendas as v', 'v.item_id', 'fd.item_id')
    .leftJoin('dw.dim_campanha as dca', 'dca.campanha_id', 'v.campanha_id')
    .select([
      'v.item_id',
      'v.pedido_id',
      'v.data_pedido',
      'v.ano_mes',
      'v.ano',
      'v.mes',
      'v.status',
      'v.cancelado',
      'v.produto_id',
      'v.categoria_id',
      'v.categoria',
      'v.vendedor_id',
      'v.vendedor',
      'v.campanha_id',
      'v.campanha',
      sql`coalesce(${ref('dca.tipo')}, ${lit('N/D')})`.as('campanha_tipo'),
      sql`coalesce(${ref('dca.custo')}, ${lit(0)})`.as('campanha_custo'),
      'v.estado',
      'v.regiao',
      'fd.percentual_desconto',
      'v.faixa_desconto',
      'v.quantidade',
      'v.valor_bruto',
      'v.valor_desconto',
      'v.valor_liquido',
      'v.custo_total',
      'v.margem',
      'v.certificado_ate',
    ])
    .where(sql<SqlBool>`${ref('fd.removido')} = ${t.false}`);
  await db.schema.withSchema('dw').createView('vw_descontos').as(descontos).execute();

  const anoMes = t.mssql ? sql`convert(char(7), ${ref('m.mes')}, 126)` : sql`to_char(${ref('m.mes')}, ${lit('YYYY-MM')})`;
  // what each seller sold per month: the sales rule of vw_vendas (live items of non-cancelled orders
  // at or before the certified time), read from the fact itself so no product join is paid for it
  const realizado = db
    .selectFrom('dw.fact_vendas as f')
    .innerJoin('etl.certified as c', (j) => j.on(certified(ref('f.data_pedido'))))
    .innerJoin('dw.dim_data as d', 'd.data_key', 'f.data_pedido_key')
    .select(['f.vendedor_id', 'd.ano_mes', sql`sum(${ref('f.valor_liquido')})`.as('realizado')])
    .where(sql<SqlBool>`${ref('f.removido')} = ${t.false}`)
    .where(sql<SqlBool>`${ref('f.status')} <> ${lit('cancelado')}`)
    .groupBy(['f.vendedor_id', 'd.ano_mes']);
  const targets = db
    .selectFrom('dw.fact_metas as m')
    .innerJoin('etl.certified as c', (j) => j.on(certified(ref('m.mes'))))
    .leftJoin('dw.dim_vendedor as dv', 'dv.vendedor_id', 'm.vendedor_id')
    .select([
      'm.meta_id',
      'm.vendedor_id',
      sql`coalesce(${ref('dv.nome')}, ${lit('Desconhecido')})`.as('vendedor'),
      'm.mes',
      anoMes.as('ano_mes'),
      'm.valor_meta',
      'm.quantidade_meta',
      'c.certified_to as certificado_ate',
    ]);
  const metas = db
    .selectFrom(targets.as('t'))
    .leftJoin(realizado.as('r'), (j) => j.onRef('r.vendedor_id', '=', 't.vendedor_id').onRef('r.ano_mes', '=', 't.ano_mes'))
    .select([
      't.meta_id',
      't.vendedor_id',
      't.vendedor',
      't.mes',
      't.ano_mes',
      't.valor_meta',
      't.quantidade_meta',
      sql`coalesce(${ref('r.realizado')}, ${lit(0)})`.as('realizado'),
      't.certificado_ate',
    ]);
  await db.schema.withSchema('dw').createView('vw_metas').as(metas).execute();
}
