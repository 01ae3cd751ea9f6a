// The certified KPI views of migration 0012, made cheap enough for the KPI API's target (issue 12:
// a year of data at scale 10 answered in under 1 s per request). Same views, same columns, same
// rows and values; what changes is how they are read:
//
//   dw.fact_vendas.estado_entrega  the order's delivery UF, carried on the fact by the sales load
//       (shared/pipeline/facts/sales.ts copies it from the order header, as it copies the status
//       and the order time; every item of a changed order is recomputed, so it follows the
//       order). The views read it from the fact instead of joining every item to ods.pedidos,
//       which was half the cost of the sales views (a hash of every order per statement). The
//       column is filled here for the facts already loaded, from the same ODS copy the view read.
//   work.venda.estado_entrega      the same column in the sales load's work table.
//   certified pointer              read once per statement, as a scalar subquery, instead of
//       joined to every row (the rule is the same: order time at or before certified_to, nothing
//       before the first certified run).
//   current product                joined through a subquery grouped by product id (one row per
//       product: is_current is unique per product, ix_dim_produto_current), so a statement that
//       does not read the category skips the join; a join on a partial unique index is never
//       removed by PostgreSQL.
//   dw.vw_metas.realizado          a subquery per target (the seller's items of that month, found
//       by ix_fact_vendas_vendedor_data) instead of a join to every seller's every month: a
//       request for one year reads that year's sales, not the whole history.
//
// dw.vw_descontos reads dw.vw_vendas, so the three views are dropped and created again.
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import { ddl } from '../ddl.js';

/**
 * IBGE regions of the Brazilian UFs (a sale outside Brazil, e.g. Superstore's, has none): the
 * regions of 0012, tested most populous first (the CASE runs per row; the sets are disjoint, so
 * the order changes no answer).
 */
const REGIOES: Record<string, readonly string[]> = {
  Sudeste: ['SP', 'RJ', 'MG', 'ES'],
  Sul: ['RS', 'PR', 'SC'],
  Nordeste: ['BA', 'PE', 'CE', 'MA', 'PB', 'RN', 'AL', 'PI', 'SE'],
  'Centro-Oeste': ['DF', 'GO', 'MT', 'MS'],
  Norte: ['PA', 'AM', 'RO', 'TO', 'AC', 'AP', 'RR'],
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

  await db.schema.withSchema('dw').dropView('vw_descontos').execute();
  await db.schema.withSchema('dw').dropView('vw_metas').execute();
  await db.schema.withSchema('dw').dropView('vw_vendas').execute();

  // the order's delivery UF on the sales fact and in the sales load's work table
  await db.schema.withSchema('dw').alterTable('fact_vendas').addColumn('estado_entrega', t.text(60)).execute();
  await db.schema.withSchema('work').alterTable('venda').addColumn('estado_entrega', t.text(60)).execute();
  await db
    .updateTable('dw.fact_vendas')
    .set({
      estado_entrega: (eb: ExpressionBuilder<any, any>) =>
        eb.selectFrom('ods.pedidos as o').select('o.estado_entrega').where('o.id', '=', eb.ref('dw.fact_vendas.pedido_id')),
    })
    .execute();

  // what vw_metas reads per target: one seller's items of one month, without touching the table
  await sql`create index ${sql.id('ix_fact_vendas_vendedor_data')} on ${sql.table('dw.fact_vendas')} (${sql.join(
    ['vendedor_id', 'data_pedido_key'].map((c) => sql.id(c)),
  )}) include (${sql.join(['status', 'removido', 'data_pedido', 'valor_liquido'].map((c) => sql.id(c)))})`.execute(db);

  await createKpiViews(db);
}

/**
 * The three views as this migration defines them (they must not exist yet). A later migration that
 * carries more fact columns into dw.vw_vendas drops the views and calls this with the columns' names.
 */
export async function createKpiViews(db: Kysely<any>, moreSalesColumns: readonly string[] = []): Promise<void> {
  const t = ddl(db);
  const ref = (c: string) => sql.ref(c);
  const lit = (v: string | number) => sql.lit(v);

  /** etl.certified.certified_to of the pipeline: one value per statement (null before the first certified run). */
  const certifiedTo = sql`(select ${ref('c.certified_to')} from ${sql.table('etl.certified')} as ${sql.id('c')} where ${ref('c.name')} = ${lit('pipeline')})`;

  const regiao = sql.join(
    Object.entries(REGIOES).map(([r, ufs]) => sql`when ${ref('estado')} in (${sql.join(ufs.map((u) => lit(u)))}) then ${lit(r)}`),
    sql` `,
  );
  const faixa = sql.join(
    FAIXAS.map(([label, d, g]) => sql`when ${ref('f.valor_desconto')} * ${lit(d)} < ${ref('f.valor_bruto')} * ${lit(g)} then ${lit(label)}`),
    sql` `,
  );

  // the current version's category of each product: one row per product (is_current is unique per product)
  const produtoAtual = db
    .selectFrom('dw.dim_produto as p')
    .select(['p.produto_id', sql`max(${ref('p.categoria_id')})`.as('categoria_id')])
    .where(t.isTrue('p.is_current'))
    .groupBy('p.produto_id');

  const sales = db
    .selectFrom('dw.fact_vendas as f')
    .innerJoin('dw.dim_data as d', 'd.data_key', 'f.data_pedido_key')
    .leftJoin(produtoAtual.as('dp'), 'dp.produto_id', 'f.produto_id')
    .leftJoin('dw.dim_categoria as dcat', 'dcat.categoria_id', 'dp.categoria_id')
    .leftJoin('dw.dim_vendedor as dv', 'dv.vendedor_id', 'f.vendedor_id')
    .leftJoin('dw.dim_campanha as dca', (j) => j.on('dca.campanha_id', '=', sql`coalesce(${ref('f.campanha_id')}, ${lit(0)})`))
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
      sql`coalesce(${ref('f.estado_entrega')}, ${lit('N/D')})`.as('estado'),
      'f.quantidade',
      'f.valor_bruto',
      'f.valor_desconto',
      'f.valor_liquido',
      'f.custo_total',
      'f.margem',
      sql`case when ${ref('f.valor_desconto')} <= ${lit(0)} then ${lit('sem desconto')} ${faixa} else ${lit('30%+')} end`.as('faixa_desconto'),
      certifiedTo.as('certificado_ate'),
      ...moreSalesColumns.map((c) => `f.${c}`),
    ])
    .where(sql<SqlBool>`${ref('f.removido')} = ${t.false}`)
    .where(sql<SqlBool>`${ref('f.data_pedido')} <= ${certifiedTo}`);
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
  // the month's day keys (dw.dim_data.data_key is the day as yyyymmdd) lie strictly between
  // yyyymm00 and yyyymm00 + 100, whatever day of the month the target's date names
  const monthKey = t.mssql
    ? sql`cast(convert(char(6), ${ref('m.mes')}, 112) as int) * 100`
    : sql`cast(to_char(${ref('m.mes')}, ${lit('YYYYMM')}) as integer) * 100`;
  const targets = db
    .selectFrom('dw.fact_metas as m')
    .leftJoin('dw.dim_vendedor as dv', 'dv.vendedor_id', 'm.vendedor_id')
    .select([
      'm.meta_id',
      'm.vendedor_id',
      sql`coalesce(${ref('dv.nome')}, ${lit('Desconhecido')})`.as('vendedor'),
      'm.mes',
      anoMes.as('ano_mes'),
      monthKey.as('mes_chave'),
      'm.valor_meta',
      'm.quantidade_meta',
      certifiedTo.as('certificado_ate'),
    ])
    .where(sql<SqlBool>`${ref('m.mes')} <= ${certifiedTo}`);
  // what the seller sold in the target's month: the sales rule of vw_vendas (live items of
  // non-cancelled orders at or before the certified time), read from the fact itself
  // (ISNULL on SQL Server: its COALESCE would run the subquery twice)
  const realizado = (e: Expression<unknown>) =>
    sql`${sql.raw(t.mssql ? 'isnull' : 'coalesce')}((select sum(${ref('f.valor_liquido')}) from ${sql.table('dw.fact_vendas')} as ${sql.id('f')} where ${ref('f.vendedor_id')} = ${ref(
      't.vendedor_id',
    )} and ${ref('f.data_pedido_key')} > ${e} and ${ref('f.data_pedido_key')} < ${e} + ${lit(100)} and ${ref('f.removido')} = ${t.false} and ${ref(
      'f.status',
    )} <> ${lit('cancelado')} and ${ref('f.data_pedido')} <= ${ref('t.certificado_ate')}), ${lit(0)})`;
  const metas = db
    .selectFrom(targets.as('t'))
    .select([
      't.meta_id',
      't.vendedor_id',
      't.vendedor',
      't.mes',
      't.ano_mes',
      't.valor_meta',
      't.quantidade_meta',
      realizado(ref('t.mes_chave')).as('realizado'),
      't.certificado_ate',
    ]);
  await db.schema.withSchema('dw').createView('vw_metas').as(metas).execute();
}
