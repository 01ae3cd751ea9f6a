// fact_vendas and fact_descontos, recomputed for every order that changed in the batch (its
// header, or any of its items) from the ODS copy joined to the dimensions:
//   - customer and product: the version valid at the order time (SCD2 point-in-time lookup);
//   - a member that has not arrived yet: key -1 (re-keyed later, see rekey.ts);
//   - no campaign: key 0 ("Sem campanha"); items of an order whose header has not arrived yet:
//     status 'desconhecido', date and customer -1 — nothing is dropped.
import { sql, type Transaction } from 'kysely';
import { boolLit } from '../../db/portable-sql.js';
import type { Decimal, WarehouseTables } from '../../db/schema/index.js';
import { upsert, type UpsertCounts } from '../upsert.js';

export const SALES_COLUMNS = [
  'pedido_id',
  'numero_item',
  'pedido_codigo',
  'status',
  'removido',
  'data_pedido',
  'data_pedido_key',
  'data_entrega_key',
  'cliente_id',
  'cliente_key',
  'produto_id',
  'produto_key',
  'vendedor_id',
  'vendedor_key',
  'campanha_id',
  'campanha_key',
  'quantidade',
  'preco_unitario',
  'valor_bruto',
  'valor_desconto',
  'valor_liquido',
  'valor_frete',
  'custo_total',
  'margem',
  'source_updated_at',
] as const;

export const DISCOUNT_COLUMNS = [
  'pedido_id',
  'numero_item',
  'status',
  'removido',
  'data_pedido_key',
  'cliente_key',
  'produto_key',
  'vendedor_key',
  'campanha_id',
  'campanha_key',
  'percentual_desconto',
  'valor_desconto',
  'valor_bruto',
  'valor_liquido',
  'source_updated_at',
] as const;

/** Zero as the integer parameter these statements have always sent; a decimal column compares with it exactly. */
const ZERO = sql<Decimal>`${0}`;

/** Orders touched by this batch: changed headers and orders of changed items. */
function affectedOrders(trx: Transaction<WarehouseTables>) {
  return trx.selectFrom('stg.pedidos').select('id').union(trx.selectFrom('stg.itens_pedido').select('pedido_id as id'));
}

/** Items of the affected orders with every fact column, aliased "s". */
function salesSource(trx: Transaction<WarehouseTables>) {
  const at = sql<Date>`coalesce(${sql.ref('o.data_pedido')}, ${sql.ref('i.created_at')})`;
  return trx
    .selectFrom('ods.itens_pedido as i')
    .leftJoin('ods.pedidos as o', 'o.id', 'i.pedido_id')
    .leftJoin('dw.dim_data as dd', (j) => j.on('dd.data', '=', sql`cast(${sql.ref('o.data_pedido')} as date)`))
    .leftJoin('dw.dim_data as de', (j) => j.on('de.data', '=', sql`cast(${sql.ref('o.data_entrega')} as date)`))
    .leftJoin('dw.dim_cliente as dc', (j) =>
      j.onRef('dc.cliente_id', '=', 'o.cliente_id').onRef('dc.valid_from', '<=', 'o.data_pedido').onRef('dc.valid_to', '>', 'o.data_pedido'),
    )
    .leftJoin('dw.dim_produto as dp', (j) => j.onRef('dp.produto_id', '=', 'i.produto_id').on('dp.valid_from', '<=', at).on('dp.valid_to', '>', at))
    .leftJoin('dw.dim_vendedor as dv', 'dv.vendedor_id', 'i.vendedor_id')
    .leftJoin('dw.dim_campanha as dca', 'dca.campanha_id', 'i.campanha_id')
    .where('i.pedido_id', 'in', affectedOrders(trx))
    .select((eb) => [
      'i.id as item_id',
      'i.pedido_id',
      'i.numero_item',
      'o.codigo as pedido_codigo',
      eb.fn.coalesce('o.status', eb.val('desconhecido')).as('status'),
      eb.case().when('i.deleted_at', 'is', null).then(boolLit(trx, false)).else(boolLit(trx, true)).end().as('removido'),
      'o.data_pedido',
      eb.fn.coalesce('dd.data_key', eb.val(-1)).as('data_pedido_key'),
      eb.fn.coalesce('de.data_key', eb.val(-1)).as('data_entrega_key'),
      'o.cliente_id',
      eb.fn.coalesce('dc.cliente_key', eb.val(-1)).as('cliente_key'),
      'i.produto_id',
      eb.fn.coalesce('dp.produto_key', eb.val(-1)).as('produto_key'),
      'i.vendedor_id',
      eb.fn.coalesce('dv.vendedor_key', eb.val(-1)).as('vendedor_key'),
      'i.campanha_id',
      eb
        .case()
        .when('i.campanha_id', 'is', null)
        .then(eb.val(0))
        .else(eb.fn.coalesce('dca.campanha_key', eb.val(-1)))
        .end()
        .as('campanha_key'),
      'i.quantidade',
      'i.preco_unitario',
      'i.valor_bruto',
      'i.valor_desconto',
      'i.valor_liquido',
      'i.valor_frete',
      'i.custo_total',
      eb(eb.ref('i.valor_liquido'), '-', eb.ref('i.custo_total')).as('margem'),
      eb.case().when('o.updated_at', '>', eb.ref('i.updated_at')).then(eb.ref('o.updated_at')).else(eb.ref('i.updated_at')).end().as('source_updated_at'),
      'i.percentual_desconto',
    ]);
}

export async function loadSales(
  trx: Transaction<WarehouseTables>,
  runId: string,
): Promise<{ vendas: UpsertCounts; descontos: UpsertCounts & { deleted: number } }> {
  const stamp = { run_id: runId, loaded_at: new Date() };
  const vendas = await upsert(trx, { target: 'dw.fact_vendas', key: 'item_id', columns: SALES_COLUMNS, source: (t) => salesSource(t).as('s'), stamp });
  // a discount fact per item that carries a discount (a campaign, or an amount off)
  const discounted = (t: Transaction<WarehouseTables>) =>
    t
      .selectFrom(salesSource(t).as('v'))
      .selectAll()
      .where((eb) => eb.or([eb('v.campanha_id', 'is not', null), eb('v.valor_desconto', '>', ZERO)]));
  const descontos = await upsert(trx, { target: 'dw.fact_descontos', key: 'item_id', columns: DISCOUNT_COLUMNS, source: (t) => discounted(t).as('s'), stamp });
  // an affected item whose discount was taken away no longer has a discount fact
  const removed = await trx
    .deleteFrom('dw.fact_descontos')
    .where('pedido_id', 'in', affectedOrders(trx))
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('ods.itens_pedido as i')
          .select('i.id')
          // the deleted table is not aliased (T-SQL's DELETE takes no alias), so Kysely cannot type a reference to it
          .whereRef('i.id', '=', sql.ref('fact_descontos.item_id'))
          .where('i.campanha_id', 'is', null)
          .where('i.valor_desconto', '<=', ZERO),
      ),
    )
    .executeTakeFirst();
  return { vendas, descontos: { ...descontos, deleted: Number(removed.numDeletedRows ?? 0) } };
}
