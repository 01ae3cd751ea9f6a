// Order counters on the sales fact, so that the KPI API counts orders by adding instead of by
// count(distinct) (issue 12: a year of data at scale 10 answered in under 1 s per request; the two
// count(distinct) statements of GET /api/kpi/vendas sorted every item of the year):
//
//   dw.fact_vendas.conta_pedido           1 on the item that counts its order: the order's live
//       (not removed) item with the lowest numero_item; 0 on every other item. Summed over the
//       items of any set of whole orders, it is their number of orders.
//   dw.fact_vendas.conta_pedido_vendedor  1 on the order's live item with the lowest numero_item
//       among that seller's items (item id breaks a tie); summed over the items of any set of
//       sellers, it is the number of (order, seller) pairs: per seller, that seller's orders.
//
// The sales load computes both for every item of a changed order (shared/pipeline/facts/sales.ts:
// any change to an order or one of its items recomputes all of its items, so a removed item hands
// its count to the next one). Here they are computed for the facts already loaded, and dw.vw_vendas
// carries them (the views are created again as migration 0013 defines them, with the two columns).
//
//   ix_fact_vendas_data  (data_pedido_key) as before, now INCLUDE-ing every fact column the KPI
//       statements read through dw.vw_vendas, so a period is read from the index, one order day
//       after another, instead of scanning the whole table (each row is ~500 bytes, the index entry
//       ~130). On the scale-10 copy, GET /api/kpi/vendas for one year went from 0.75 s to 0.47 s
//       (median of 15) with this index on top of the counters. PostgreSQL uses it once the table's
//       visibility map is set: the fact load vacuums its tables after a bulk load (load-facts.ts).
import { sql, type Kysely } from 'kysely';
import { ddl } from '../ddl.js';
import { createKpiViews } from './0013_kpi_views_speed.js';

const COUNTERS = ['conta_pedido', 'conta_pedido_vendedor'] as const;

/** What dw.vw_vendas reads from the fact besides the order day's key (the item's text columns and audit columns are left out). */
const KPI_COLUMNS = [
  'removido',
  'data_pedido',
  'status',
  'estado_entrega',
  'pedido_id',
  'produto_id',
  'vendedor_id',
  'campanha_id',
  'quantidade',
  'valor_bruto',
  'valor_desconto',
  'valor_liquido',
  'margem',
  ...COUNTERS,
];

export async function up(db: Kysely<any>): Promise<void> {
  const t = ddl(db);
  const ref = (c: string) => sql.ref(c);

  await db.schema.withSchema('dw').dropView('vw_descontos').execute();
  await db.schema.withSchema('dw').dropView('vw_metas').execute();
  await db.schema.withSchema('dw').dropView('vw_vendas').execute();

  for (const c of COUNTERS) {
    await db.schema
      .withSchema('dw')
      .alterTable('fact_vendas')
      .addColumn(c, 'integer', (col) => col.notNull().defaultTo(0))
      .execute();
    await db.schema.withSchema('work').alterTable('venda').addColumn(c, 'integer').execute();
  }

  // 1 on the first live item of each partition (removed items sit in their own partitions)
  const first = (partition: readonly string[]) =>
    sql<number>`case when ${ref('c.removido')} = ${t.false} and row_number() over (partition by ${sql.join(
      [...partition, 'c.removido'].map(ref),
    )} order by ${ref('c.numero_item')}, ${ref('c.item_id')}) = 1 then 1 else 0 end`;
  const counted = db
    .selectFrom('dw.fact_vendas as c')
    .select(['c.item_id', first(['c.pedido_id']).as('conta_pedido'), first(['c.pedido_id', 'c.vendedor_id']).as('conta_pedido_vendedor')]);
  await db
    .updateTable('dw.fact_vendas')
    .from(counted.as('x'))
    .set(Object.fromEntries(COUNTERS.map((c) => [c, ref(`x.${c}`)])))
    .whereRef('x.item_id', '=', 'dw.fact_vendas.item_id')
    .execute();

  // the KPI statements' columns, read from the order-day index (same key, same name as migration 0004's)
  // SQL Server names the index's table (DROP INDEX ix ON dw.t), PostgreSQL its schema (DROP INDEX dw.ix)
  await (t.mssql ? db.schema.dropIndex('ix_fact_vendas_data').on('dw.fact_vendas') : db.schema.withSchema('dw').dropIndex('ix_fact_vendas_data')).execute();
  await sql`create index ${sql.id('ix_fact_vendas_data')} on ${sql.table('dw.fact_vendas')} (${sql.id('data_pedido_key')}) include (${sql.join(
    KPI_COLUMNS.map((c) => sql.id(c)),
  )})`.execute(db);

  await createKpiViews(db, COUNTERS);
}
