// The SQL-only ideal the pipeline's full load is measured against: what a hand-written load of an
// empty warehouse costs on the same engine. Every source table is COPYed from the source into a
// staging table of the ideal's own (a temporary table typed like the source column, so the ideal
// does not depend on how the pipeline's stg tables evolve), then set-based SQL builds the same dimensions, calendar, ODS copy and facts the
// pipeline builds (same surrogate keys: assigned in business-key order from 1), all in ONE
// transaction. It does no contracts, no Blob round trip, no audit: that is the point of an ideal.
// The identity check (identity.ts) proves it produces the pipeline's warehouse, so the ratio
// pipeline / ideal compares equal work.
import type { ColumnSpec } from '../../shared/db/database.js';
import { OLTP, OLTP_TABLES } from '../../shared/model/oltp-tables.js';
import { copyBetween, type SqlSession } from './sql-session.js';

const FAR_PAST = '1900-01-01T00:00:00.000Z';
const FAR_FUTURE = '9999-12-31T00:00:00.000Z';

/** The calendar's names (the pipeline's dim_data carries Brazilian Portuguese names). */
const MESES = ['Janeiro', 'Fevereiro', 'Março', 'Abril', 'Maio', 'Junho', 'Julho', 'Agosto', 'Setembro', 'Outubro', 'Novembro', 'Dezembro'];
const DIAS = ['Domingo', 'Segunda-feira', 'Terça-feira', 'Quarta-feira', 'Quinta-feira', 'Sexta-feira', 'Sábado'];

/** The ideal's staging table of a source table: temporary, gone at commit. */
const staging = (t: string) => `bench_stg_${t}`;

function columnType(c: ColumnSpec): string {
  switch (c.kind) {
    case 'bigint':
      return 'bigint';
    case 'int':
      return 'integer';
    case 'text':
      return c.length ? `varchar(${c.length})` : 'text';
    case 'decimal':
      return `numeric(${c.precision ?? 19}, ${c.scale ?? 4})`;
    case 'timestamp':
      return 'timestamptz(3)';
    case 'date':
      return 'date';
    case 'bool':
      return 'boolean';
  }
}

const list = (columns: readonly string[], prefix = '') => columns.map((c) => `${prefix}"${c}"`).join(', ');

/** The statements after staging, in order, each with its parameters. */
const statements = (runId: string, today: string): [string, unknown[]][] => [
  // SCD1 dimensions: every member new, keys in id order; a category's parent name from staging
  [
    `insert into dw.dim_categoria (categoria_key, categoria_id, codigo, nome, categoria_pai_id, nome_pai, source_updated_at, run_id)
   select row_number() over (order by s.id), s.id, s.codigo, s.nome, s.categoria_pai_id, p.nome, s.updated_at, $1
   from bench_stg_categorias s left join bench_stg_categorias p on p.id = s.categoria_pai_id`,
    [runId],
  ],
  [
    `insert into dw.dim_vendedor (vendedor_key, vendedor_id, codigo, nome, cidade, estado, ativo, source_updated_at, run_id)
   select row_number() over (order by id), id, codigo, nome, cidade, estado, ativo, updated_at, $1 from bench_stg_vendedores`,
    [runId],
  ],
  [
    `insert into dw.dim_campanha (campanha_key, campanha_id, codigo, nome, tipo, percentual, valor_cupom, inicio, fim, custo, ativa, source_updated_at, run_id)
   select row_number() over (order by id), id, codigo, nome, tipo, percentual, valor_cupom, inicio, fim, custo, ativa, updated_at, $1 from bench_stg_campanhas`,
    [runId],
  ],
  // SCD2 dimensions on an empty warehouse: one current version per member, valid since the beginning of time
  [
    `insert into dw.dim_cliente (cliente_key, cliente_id, codigo, nome, email, segmento, cidade, estado, regiao, ativo, valid_from, valid_to, is_current, source_updated_at, run_id)
   select row_number() over (order by id), id, codigo, nome, email, segmento, cidade, estado, regiao, ativo, $2::timestamptz, $3::timestamptz, true, updated_at, $1
   from bench_stg_clientes`,
    [runId, FAR_PAST, FAR_FUTURE],
  ],
  [
    `insert into dw.dim_produto (produto_key, produto_id, codigo, nome, categoria_id, categoria, categoria_pai, preco_lista, custo, ativo, valid_from, valid_to, is_current, source_updated_at, run_id)
   select row_number() over (order by p.id), p.id, p.codigo, p.nome, p.categoria_id, coalesce(c.nome, 'Desconhecida'), c.nome_pai, p.preco_lista, p.custo, p.ativo,
          $2::timestamptz, $3::timestamptz, true, p.updated_at, $1
   from bench_stg_produtos p left join dw.dim_categoria c on c.categoria_id = p.categoria_id`,
    [runId, FAR_PAST, FAR_FUTURE],
  ],
  // the calendar: every day from the earliest to the latest business date (today included), within the sane span
  [
    `insert into dw.dim_data (data_key, data, ano, trimestre, mes, nome_mes, ano_mes, dia, dia_semana, nome_dia_semana, fim_de_semana)
   select to_char(g, 'YYYYMMDD')::int, g::date, extract(year from g)::int, extract(quarter from g)::int, extract(month from g)::int,
          ($2::text[])[extract(month from g)::int], to_char(g, 'YYYY-MM'), extract(day from g)::int, extract(dow from g)::int + 1,
          ($3::text[])[extract(dow from g)::int + 1], extract(dow from g) in (0, 6)
   from (select least(min(d), $1::date) lo, greatest(max(d), $1::date) hi from (
           select data_pedido::date d from bench_stg_pedidos union all select data_entrega::date from bench_stg_pedidos
           union all select inicio::date from bench_stg_campanhas union all select fim::date from bench_stg_campanhas
           union all select mes from bench_stg_metas) dates) r,
        generate_series(greatest(r.lo, date '1990-01-01'), least(r.hi, make_date(extract(year from $1::date)::int + 5, 12, 31)), interval '1 day') g
   where not exists (select 1 from dw.dim_data x where x.data = g::date)`,
    [today, MESES, DIAS],
  ],
  // the ODS copy of orders, items and payments
  ...(['pedidos', 'itens_pedido', 'pagamentos'] as const).map((t) => {
    const columns = OLTP[t].columns.map((c) => c.name);
    return [`insert into ods.${t} (${list(columns)}) select ${list(columns)} from ${staging(t)}`, []] as [string, unknown[]];
  }),
  // fresh statistics on the dimensions the facts join (an ideal plans with what it knows)
  ['analyze dw.dim_data, dw.dim_cliente, dw.dim_produto, dw.dim_vendedor, dw.dim_campanha', []],
  // sales: every item with the member versions valid at its order time; -1 for what is missing, 0 for no campaign
  [
    `create temporary table bench_sales on commit drop as
   select i.id item_id, i.pedido_id, i.numero_item, o.codigo pedido_codigo, coalesce(o.status, 'desconhecido') status, o.estado_entrega, i.deleted_at is not null removido,
          o.data_pedido, coalesce(dd.data_key, -1) data_pedido_key, coalesce(de.data_key, -1) data_entrega_key,
          o.cliente_id, coalesce(dc.cliente_key, -1) cliente_key, i.produto_id, coalesce(dp.produto_key, -1) produto_key,
          i.vendedor_id, coalesce(dv.vendedor_key, -1) vendedor_key, i.campanha_id,
          case when i.campanha_id is null then 0 else coalesce(dca.campanha_key, -1) end campanha_key,
          i.quantidade, i.preco_unitario, i.valor_bruto, i.valor_desconto, i.valor_liquido, i.valor_frete, i.custo_total,
          i.valor_liquido - i.custo_total margem, greatest(o.updated_at, i.updated_at) source_updated_at, i.percentual_desconto,
          case when i.deleted_at is null and row_number() over (partition by i.pedido_id, i.deleted_at is null order by i.numero_item, i.id) = 1 then 1 else 0 end conta_pedido,
          case when i.deleted_at is null and row_number() over (partition by i.pedido_id, i.vendedor_id, i.deleted_at is null order by i.numero_item, i.id) = 1 then 1 else 0 end conta_pedido_vendedor
   from bench_stg_itens_pedido i
   left join bench_stg_pedidos o on o.id = i.pedido_id
   left join dw.dim_data dd on dd.data = o.data_pedido::date
   left join dw.dim_data de on de.data = o.data_entrega::date
   left join dw.dim_cliente dc on dc.cliente_id = o.cliente_id and dc.valid_from <= o.data_pedido and dc.valid_to > o.data_pedido
   left join dw.dim_produto dp on dp.produto_id = i.produto_id and dp.valid_from <= coalesce(o.data_pedido, i.created_at) and dp.valid_to > coalesce(o.data_pedido, i.created_at)
   left join dw.dim_vendedor dv on dv.vendedor_id = i.vendedor_id
   left join dw.dim_campanha dca on dca.campanha_id = i.campanha_id`,
    [],
  ],
  [
    `insert into dw.fact_vendas (item_id, pedido_id, numero_item, pedido_codigo, status, estado_entrega, removido, data_pedido, data_pedido_key, data_entrega_key, cliente_id, cliente_key,
     produto_id, produto_key, vendedor_id, vendedor_key, campanha_id, campanha_key, quantidade, preco_unitario, valor_bruto, valor_desconto, valor_liquido, valor_frete,
     custo_total, margem, source_updated_at, conta_pedido, conta_pedido_vendedor, run_id)
   select item_id, pedido_id, numero_item, pedido_codigo, status, estado_entrega, removido, data_pedido, data_pedido_key, data_entrega_key, cliente_id, cliente_key,
     produto_id, produto_key, vendedor_id, vendedor_key, campanha_id, campanha_key, quantidade, preco_unitario, valor_bruto, valor_desconto, valor_liquido, valor_frete,
     custo_total, margem, source_updated_at, conta_pedido, conta_pedido_vendedor, $1
   from bench_sales`,
    [runId],
  ],
  // a discount fact per item with a campaign or an amount off
  [
    `insert into dw.fact_descontos (item_id, pedido_id, numero_item, status, removido, data_pedido_key, cliente_key, produto_key, vendedor_key, campanha_id, campanha_key,
     percentual_desconto, valor_desconto, valor_bruto, valor_liquido, source_updated_at, run_id)
   select item_id, pedido_id, numero_item, status, removido, data_pedido_key, cliente_key, produto_key, vendedor_key, campanha_id, campanha_key,
     percentual_desconto, valor_desconto, valor_bruto, valor_liquido, source_updated_at, $1
   from bench_sales where campanha_id is not null or valor_desconto > 0`,
    [runId],
  ],
  [
    `insert into dw.fact_metas (meta_id, vendedor_id, vendedor_key, mes, mes_key, valor_meta, quantidade_meta, source_updated_at, run_id)
   select m.id, m.vendedor_id, coalesce(dv.vendedor_key, -1), m.mes, coalesce(dd.data_key, -1), m.valor_meta, m.quantidade_meta, m.updated_at, $1
   from bench_stg_metas m left join dw.dim_vendedor dv on dv.vendedor_id = m.vendedor_id left join dw.dim_data dd on dd.data = m.mes`,
    [runId],
  ],
];

export interface IdealCounts {
  staged: Record<string, number>;
}

/**
 * Loads the empty, migrated warehouse `dw` from `source` in one transaction. `today` is the UTC
 * date the calendar must reach (the pipeline's calendar includes the day it runs).
 */
export async function loadIdeal(source: SqlSession, dw: SqlSession, runId: string, today: string): Promise<IdealCounts> {
  const staged: Record<string, number> = {};
  await dw.query('begin');
  try {
    for (const t of OLTP_TABLES) {
      const columns = OLTP[t].columns.map((c) => c.name);
      const types = OLTP[t].columns.map((c) => `"${c.name}" ${columnType(c)}`).join(', ');
      await dw.query(`create temporary table ${staging(t)} (${types}) on commit drop`);
      await copyBetween(source, `select ${list(columns)} from oltp.${t}`, dw, staging(t), columns);
      // temporary tables get no statistics from autovacuum: without them the joins below are planned blind
      await dw.query(`analyze ${staging(t)}`);
    }
    for (const [text, params] of statements(runId, today)) await dw.query(text, params);
    // every entity loaded up to the source's clock, as the pipeline's watermarks say
    await dw.query(`insert into etl.watermark (entity, high_water, run_id) select e, $2::timestamptz, $1 from unnest($3::text[]) e`, [
      runId,
      (await source.query<{ now: string }>('select now()::text as now'))[0]!.now,
      [...OLTP_TABLES],
    ]);
    for (const t of OLTP_TABLES) staged[t] = Number((await dw.query<{ n: string }>(`select count(*) as n from ${staging(t)}`))[0]!.n);
    await dw.query('commit');
  } catch (e) {
    await dw.query('rollback').catch(() => undefined);
    throw e;
  }
  return { staged };
}
