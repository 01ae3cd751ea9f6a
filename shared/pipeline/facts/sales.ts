// fact_vendas and fact_descontos, recomputed for every order that changed in the batch (its
// header, or any of its items) from the ODS copy joined to the dimensions:
//   - customer and product: the version valid at the order time (SCD2 point-in-time lookup);
//   - a member that has not arrived yet: key -1 (re-keyed later, see rekey.ts);
//   - no campaign: key 0 ("Sem campanha"); items of an order whose header has not arrived yet:
//     status 'desconhecido', date and customer -1 — nothing is dropped.
import { sql, type Kysely, type Transaction } from 'kysely';
import { analyzeTable, boolLit } from '../../db/portable-sql.js';
import type { Decimal, WarehouseTables } from '../../db/schema/index.js';
import { upsert, type UpsertCounts } from '../upsert.js';

export const SALES_COLUMNS = [
  'pedido_id',
  'numero_item',
  'pedido_codigo',
  'status',
  'estado_entrega',
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
  'conta_pedido',
  'conta_pedido_vendedor',
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

/** Empties a staging table of the sales load (TRUNCATE: a full load's rows leave no size or statistics behind). */
const truncateWorkTable = (db: Kysely<WarehouseTables>, table: 'work.affected_order' | 'work.venda') => sql`truncate table ${sql.table(table)}`.execute(db);

/** Empties the sales load's work tables (after a bulk load: their rows are loaded, and nothing reads them until the next load refills them). */
export async function emptyWorkTables(db: Kysely<WarehouseTables>): Promise<void> {
  await truncateWorkTable(db, 'work.affected_order');
  await truncateWorkTable(db, 'work.venda');
}

/** Orders touched by this batch: changed headers and orders of changed items, once, keyed. */
async function fillAffectedOrders(trx: Transaction<WarehouseTables>): Promise<void> {
  await truncateWorkTable(trx, 'work.affected_order');
  await trx
    .insertInto('work.affected_order')
    .columns(['pedido_id'])
    .expression(
      trx
        .selectFrom('stg.pedidos')
        .select('id as pedido_id')
        .where('id', 'is not', null)
        .union(trx.selectFrom('stg.itens_pedido').select('pedido_id').where('pedido_id', 'is not', null))
        .$narrowType<{ pedido_id: number }>(),
    )
    .execute();
  await analyzeTable(trx, 'work.affected_order');
}

/**
 * The order counters (migration dw/0014): 1 on the live item with the lowest numero_item among the
 * order's items that share `partition`, else 0. The source holds every item of an affected order,
 * so the window sees the whole order, and a removed item hands its count to the next live one.
 */
const firstLiveItem = (partition: readonly string[]) => {
  const live = sql`case when ${sql.ref('i.deleted_at')} is null then 0 else 1 end`;
  return sql<number>`case when ${sql.ref('i.deleted_at')} is null and row_number() over (partition by ${sql.join([
    ...partition.map((c) => sql.ref(c)),
    live,
  ])} order by ${sql.ref('i.numero_item')}, ${sql.ref('i.id')}) = 1 then 1 else 0 end`;
};

/**
 * Items of the affected orders with every fact column. It starts from the affected orders: with
 * ten relations PostgreSQL keeps the written join order, and a daily batch touches few orders.
 */
function salesSource(trx: Transaction<WarehouseTables>) {
  const at = sql<Date>`coalesce(${sql.ref('o.data_pedido')}, ${sql.ref('i.created_at')})`;
  return trx
    .selectFrom('work.affected_order as a')
    .innerJoin('ods.itens_pedido as i', 'i.pedido_id', 'a.pedido_id')
    .leftJoin('ods.pedidos as o', 'o.id', 'i.pedido_id')
    .leftJoin('dw.dim_data as dd', (j) => j.on('dd.data', '=', sql`cast(${sql.ref('o.data_pedido')} as date)`))
    .leftJoin('dw.dim_data as de', (j) => j.on('de.data', '=', sql`cast(${sql.ref('o.data_entrega')} as date)`))
    .leftJoin('dw.dim_cliente as dc', (j) =>
      j.onRef('dc.cliente_id', '=', 'o.cliente_id').onRef('dc.valid_from', '<=', 'o.data_pedido').onRef('dc.valid_to', '>', 'o.data_pedido'),
    )
    .leftJoin('dw.dim_produto as dp', (j) => j.onRef('dp.produto_id', '=', 'i.produto_id').on('dp.valid_from', '<=', at).on('dp.valid_to', '>', at))
    .leftJoin('dw.dim_vendedor as dv', 'dv.vendedor_id', 'i.vendedor_id')
    .leftJoin('dw.dim_campanha as dca', 'dca.campanha_id', 'i.campanha_id')
    .select((eb) => [
      'i.id as item_id',
      'i.pedido_id',
      'i.numero_item',
      'o.codigo as pedido_codigo',
      eb.fn.coalesce('o.status', eb.val('desconhecido')).as('status'),
      'o.estado_entrega',
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
      firstLiveItem(['i.pedido_id']).as('conta_pedido'),
      firstLiveItem(['i.pedido_id', 'i.vendedor_id']).as('conta_pedido_vendedor'),
      'i.percentual_desconto',
    ]);
}

/** The columns of work.venda: the sales source's, in its order. */
const SOURCE_COLUMNS = ['item_id', ...SALES_COLUMNS, 'percentual_desconto'] as const;

/** Computes the sales source rows once into work.venda; both fact upserts and the discount removal read them. */
async function fillSalesSource(trx: Transaction<WarehouseTables>): Promise<void> {
  await truncateWorkTable(trx, 'work.venda');
  await trx.insertInto('work.venda').columns(SOURCE_COLUMNS).expression(salesSource(trx)).execute();
  await analyzeTable(trx, 'work.venda');
}

export async function loadSales(
  trx: Transaction<WarehouseTables>,
  runId: string,
): Promise<{ vendas: UpsertCounts; descontos: UpsertCounts & { deleted: number } }> {
  const stamp = { run_id: runId, loaded_at: new Date() };
  await fillAffectedOrders(trx);
  await fillSalesSource(trx);
  const staged = (t: Transaction<WarehouseTables>) => t.selectFrom('work.venda as v').select(SOURCE_COLUMNS.map((c) => `v.${c}` as const));
  const vendas = await upsert(trx, { target: 'dw.fact_vendas', key: 'item_id', columns: SALES_COLUMNS, source: (t) => staged(t).as('s'), stamp });
  // a discount fact per item that carries a discount (a campaign, or an amount off)
  const discounted = (t: Transaction<WarehouseTables>) =>
    staged(t).where((eb) => eb.or([eb('v.campanha_id', 'is not', null), eb('v.valor_desconto', '>', ZERO)]));
  const descontos = await upsert(trx, { target: 'dw.fact_descontos', key: 'item_id', columns: DISCOUNT_COLUMNS, source: (t) => discounted(t).as('s'), stamp });
  // an affected item whose discount was taken away no longer has a discount fact (found by key)
  const removed = await trx
    .deleteFrom('dw.fact_descontos')
    .where('item_id', 'in', (eb) =>
      eb.selectFrom('work.venda as v').select('v.item_id').where('v.campanha_id', 'is', null).where('v.valor_desconto', '<=', ZERO),
    )
    .executeTakeFirst();
  return { vendas, descontos: { ...descontos, deleted: Number(removed.numDeletedRows ?? 0) } };
}
