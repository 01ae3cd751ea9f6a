// The row-by-row baseline: what a naive loader does, one upsert statement per source row (each its
// own transaction), looking up the dimension keys inside that statement. It runs on a loaded
// warehouse (the ideal's): the sample's sales facts are removed first, then re-created one by one
// from the source, and their checksum before and after must agree, so the baseline does the same
// work as the set-based loads. Reported as rows per second.
import type { SqlSession } from './sql-session.js';

/** The sample's items as a naive loader reads them: every value as text, converted by the statement. */
const SOURCE = `select ${[
  'i.id',
  'i.pedido_id',
  'i.numero_item',
  'o.codigo',
  "coalesce(o.status, 'desconhecido')",
  'i.deleted_at is not null',
  'o.data_pedido',
  'o.data_entrega',
  'o.cliente_id',
  'i.produto_id',
  'i.vendedor_id',
  'i.campanha_id',
  'i.quantidade',
  'i.preco_unitario',
  'i.valor_bruto',
  'i.valor_desconto',
  'i.valor_liquido',
  'i.valor_frete',
  'i.custo_total',
  'greatest(o.updated_at, i.updated_at)',
  'i.created_at',
  'o.estado_entrega',
]
  .map((c, n) => `(${c})::text as c${n + 1}`)
  .join(', ')}
  from oltp.itens_pedido i left join oltp.pedidos o on o.id = i.pedido_id where i.id = any($1::bigint[]) order by i.id`;

const UPSERT = `insert into dw.fact_vendas (item_id, pedido_id, numero_item, pedido_codigo, status, removido, data_pedido, data_pedido_key, data_entrega_key,
    cliente_id, cliente_key, produto_id, produto_key, vendedor_id, vendedor_key, campanha_id, campanha_key, quantidade, preco_unitario, valor_bruto,
    valor_desconto, valor_liquido, valor_frete, custo_total, margem, source_updated_at, run_id, estado_entrega)
  values ($1::bigint, $2::bigint, $3::int, $4, $5, $6::boolean, $7::timestamptz,
    coalesce((select data_key from dw.dim_data where data = $7::timestamptz::date), -1),
    coalesce((select data_key from dw.dim_data where data = $8::timestamptz::date), -1),
    $9::bigint, coalesce((select cliente_key from dw.dim_cliente where cliente_id = $9::bigint and valid_from <= $7::timestamptz and valid_to > $7::timestamptz), -1),
    $10::bigint, coalesce((select produto_key from dw.dim_produto where produto_id = $10::bigint
      and valid_from <= coalesce($7::timestamptz, $21::timestamptz) and valid_to > coalesce($7::timestamptz, $21::timestamptz)), -1),
    $11::bigint, coalesce((select vendedor_key from dw.dim_vendedor where vendedor_id = $11::bigint), -1),
    $12::bigint, case when $12::bigint is null then 0 else coalesce((select campanha_key from dw.dim_campanha where campanha_id = $12::bigint), -1) end,
    $13::int, $14::numeric, $15::numeric, $16::numeric, $17::numeric, $18::numeric, $19::numeric, $17::numeric - $19::numeric, $20::timestamptz, $22, $23)
  on conflict (item_id) do update set pedido_id = excluded.pedido_id, numero_item = excluded.numero_item, pedido_codigo = excluded.pedido_codigo,
    status = excluded.status, removido = excluded.removido, data_pedido = excluded.data_pedido, data_pedido_key = excluded.data_pedido_key,
    data_entrega_key = excluded.data_entrega_key, cliente_id = excluded.cliente_id, cliente_key = excluded.cliente_key, produto_id = excluded.produto_id,
    produto_key = excluded.produto_key, vendedor_id = excluded.vendedor_id, vendedor_key = excluded.vendedor_key, campanha_id = excluded.campanha_id,
    campanha_key = excluded.campanha_key, quantidade = excluded.quantidade, preco_unitario = excluded.preco_unitario, valor_bruto = excluded.valor_bruto,
    valor_desconto = excluded.valor_desconto, valor_liquido = excluded.valor_liquido, valor_frete = excluded.valor_frete, custo_total = excluded.custo_total,
    margem = excluded.margem, source_updated_at = excluded.source_updated_at, run_id = excluded.run_id, estado_entrega = excluded.estado_entrega,
    loaded_at = now()`;

export interface RowByRowResult {
  rows: number;
  ms: number;
  rowsPerSecond: number;
  /** the re-created facts equal the ones the set-based load wrote */
  matches: boolean;
}

/** The sample: `n` items spread evenly over the whole id range (old and recent orders alike). */
async function sampleIds(dw: SqlSession, n: number): Promise<string[]> {
  const rows = await dw.query<{ item_id: string }>(
    `select item_id::text as item_id from (
       select item_id, row_number() over (order by item_id) as rn, count(*) over () as total from dw.fact_vendas) t
     where (rn - 1) % greatest(total / $1, 1) = 0 order by item_id limit $1`,
    [n],
  );
  return rows.map((r) => r.item_id);
}

export async function rowByRow(source: SqlSession, dw: SqlSession, sample: number, runId: string): Promise<RowByRowResult> {
  const ids = await sampleIds(dw, sample);
  const checksum = async () => {
    const [r] = await dw.query<{ n: string; h: string | null }>(
      `select count(*) as n, md5(string_agg(md5(row(item_id, pedido_id, numero_item, pedido_codigo, status, removido, data_pedido, data_pedido_key, data_entrega_key,
        cliente_id, cliente_key, produto_id, produto_key, vendedor_id, vendedor_key, campanha_id, campanha_key, quantidade, preco_unitario, valor_bruto,
        valor_desconto, valor_liquido, valor_frete, custo_total, margem, source_updated_at, estado_entrega)::text), '' order by item_id)) as h
       from dw.fact_vendas where item_id = any($1::bigint[])`,
      [ids],
    );
    return `${r!.n}:${r!.h ?? ''}`;
  };
  const before = await checksum();
  await dw.query('delete from dw.fact_descontos where item_id = any($1::bigint[])', [ids]);
  await dw.query('delete from dw.fact_vendas where item_id = any($1::bigint[])', [ids]);

  const started = performance.now();
  const rows = await source.query<Record<string, string | null>>(SOURCE, [ids]);
  for (const r of rows) {
    await dw.query(UPSERT, [...Array.from({ length: 21 }, (_, n) => r[`c${n + 1}`]), runId, r.c22]);
  }
  const ms = performance.now() - started;
  return { rows: rows.length, ms, rowsPerSecond: rows.length / (ms / 1000), matches: (await checksum()) === before };
}
