// What keeps a daily fact load proportional to its batch (issue 9). Schema work: the fact load's
// own work tables, apart from stg (one staging table per extracted entity, which code addresses
// by entity name).
//   work.affected_order  the orders the run's order and item batches touch, computed once per
//                       load and keyed, so the sales source starts from it (nine relations are
//                       above PostgreSQL's join_collapse_limit: the written join order is kept).
//   work.venda          the sales source rows of those orders (one per item), computed once and
//                       read by both fact upserts and the discount removal. Its columns are typed
//                       like fact_vendas', so the facts get exactly the values they got when they
//                       were computed in place; none is NOT NULL but the key, so a bad row still
//                       fails on the fact table's own constraint.
//   fact_vendas         small indexes of the facts still waiting for a member (key -1), so the
//                       re-key reads those instead of the whole table, and indexes on the
//                       customer and product ids, so the facts of members whose history changed
//                       are found by key.
import { sql, type Kysely } from 'kysely';
import { ddl } from '../ddl.js';

export async function up(db: Kysely<any>): Promise<void> {
  const t = ddl(db);
  await db.schema.createSchema('work').execute();
  await db.schema
    .withSchema('work')
    .createTable('affected_order')
    .addColumn('pedido_id', 'bigint', (c) => c.primaryKey())
    .execute();

  const money = ['preco_unitario', 'valor_bruto', 'valor_desconto', 'valor_liquido', 'valor_frete', 'custo_total', 'margem'];
  let venda = db.schema
    .withSchema('work')
    .createTable('venda')
    .addColumn('item_id', 'bigint', (c) => c.primaryKey())
    .addColumn('pedido_id', 'bigint')
    .addColumn('numero_item', 'integer')
    .addColumn('pedido_codigo', t.text(64))
    .addColumn('status', t.text(20))
    .addColumn('removido', t.bool)
    .addColumn('data_pedido', t.ts)
    .addColumn('data_pedido_key', 'integer')
    .addColumn('data_entrega_key', 'integer');
  for (const dim of ['cliente', 'produto', 'vendedor', 'campanha']) venda = venda.addColumn(`${dim}_id`, 'bigint').addColumn(`${dim}_key`, 'bigint');
  venda = venda.addColumn('quantidade', 'integer');
  for (const c of money) venda = venda.addColumn(c, t.money);
  await venda.addColumn('source_updated_at', t.ts).addColumn('percentual_desconto', t.rate).execute();

  // filtered indexes: a fact enters one only while its member is unknown (a DDL constant, not data)
  for (const dim of ['cliente', 'produto', 'vendedor', 'campanha'])
    await db.schema
      .withSchema('dw')
      .createIndex(`ix_fact_vendas_${dim}_unknown`)
      .on('fact_vendas')
      .column(`${dim}_id`)
      .where(sql.ref(`${dim}_key`), '=', sql.lit(-1))
      .execute();
  for (const dim of ['cliente', 'produto'])
    await db.schema.withSchema('dw').createIndex(`ix_fact_vendas_${dim}`).on('fact_vendas').column(`${dim}_id`).execute();
}
