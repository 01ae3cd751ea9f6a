// The facts and what they are computed from.
//   ods.*        current copy of the source's order headers, items and payments (newest
//                version wins), so a fact can always be recomputed for any order that changed,
//                whichever of its rows arrived in a batch.
//   stg.*        staging for the fact entities (as in 0003).
//   dw.fact_*    fact_vendas (grain: order item), fact_descontos (grain: discount applied to an
//                order item), fact_metas (grain: month x seller). Every dimension key is NOT NULL:
//                -1 when the member has not arrived yet (re-keyed when it does); the source's
//                business ids are kept beside the keys for that.
//   dim_campanha key 0 = "Sem campanha", so "no campaign" is not confused with "unknown".
import type { Kysely } from 'kysely';
import { ddl } from '../ddl.js';

type Col = [name: string, type: 'id' | 'int' | 'money' | 'rate' | 'ts' | 'date' | 'bool' | number, notNull?: boolean];

const PEDIDO: Col[] = [
  ['id', 'id', true],
  ['codigo', 64],
  ['cliente_id', 'id'],
  ['status', 20],
  ['data_pedido', 'ts'],
  ['data_aprovacao', 'ts'],
  ['data_envio', 'ts'],
  ['data_entrega', 'ts'],
  ['data_entrega_prevista', 'ts'],
  ['data_cancelamento', 'ts'],
  ['cidade_entrega', 100],
  ['estado_entrega', 60],
  ['modo_envio', 40],
  ['campanha_id', 'id'],
  ['valor_produtos', 'money'],
  ['valor_desconto', 'money'],
  ['valor_frete', 'money'],
  ['valor_total', 'money'],
  ['created_at', 'ts'],
  ['updated_at', 'ts', true],
];
const ITEM: Col[] = [
  ['id', 'id', true],
  ['pedido_id', 'id'],
  ['numero_item', 'int'],
  ['produto_id', 'id'],
  ['vendedor_id', 'id'],
  ['campanha_id', 'id'],
  ['quantidade', 'int'],
  ['preco_unitario', 'money'],
  ['valor_bruto', 'money'],
  ['percentual_desconto', 'rate'],
  ['valor_desconto', 'money'],
  ['valor_liquido', 'money'],
  ['valor_frete', 'money'],
  ['custo_total', 'money'],
  ['deleted_at', 'ts'],
  ['created_at', 'ts'],
  ['updated_at', 'ts', true],
];
const PAGAMENTO: Col[] = [
  ['id', 'id', true],
  ['pedido_id', 'id'],
  ['sequencial', 'int'],
  ['tipo', 30],
  ['parcelas', 'int'],
  ['valor', 'money'],
  ['created_at', 'ts'],
  ['updated_at', 'ts', true],
];
const META: Col[] = [
  ['id', 'id', true],
  ['vendedor_id', 'id'],
  ['mes', 'date'],
  ['valor_meta', 'money'],
  ['quantidade_meta', 'int'],
  ['created_at', 'ts'],
  ['updated_at', 'ts', true],
];

export async function up(db: Kysely<any>): Promise<void> {
  const t = ddl(db);
  const type = (c: Col[1]) =>
    typeof c === 'number'
      ? t.text(c)
      : { id: 'bigint' as const, int: 'integer' as const, money: t.money, rate: t.rate, ts: t.ts, date: 'date' as const, bool: t.bool }[c];

  // staging for the fact entities
  for (const [table, cols] of [
    ['pedidos', PEDIDO],
    ['itens_pedido', ITEM],
    ['pagamentos', PAGAMENTO],
    ['metas', META],
  ] as const) {
    let b = db.schema
      .withSchema('stg')
      .createTable(table)
      .addColumn('_seq', 'bigint', (c) => c.notNull());
    for (const [name, ty] of cols) b = b.addColumn(name, type(ty));
    await b.execute();
    await db.schema.withSchema('stg').createIndex(`ix_${table}_id`).on(table).columns(['id', 'updated_at']).execute();
  }

  // ODS: current source rows
  await db.schema.createSchema('ods').execute();
  for (const [table, cols] of [
    ['pedidos', PEDIDO],
    ['itens_pedido', ITEM],
    ['pagamentos', PAGAMENTO],
  ] as const) {
    let b = db.schema.withSchema('ods').createTable(table);
    for (const [name, ty, notNull] of cols) b = b.addColumn(name, type(ty), (c) => (name === 'id' ? c.primaryKey() : notNull ? c.notNull() : c));
    await b.execute();
  }
  await db.schema.withSchema('ods').createIndex('ix_itens_pedido_pedido_id').on('itens_pedido').column('pedido_id').execute();

  await db
    .withSchema('dw')
    .insertInto('dim_campanha')
    .values({
      campanha_key: 0,
      campanha_id: 0,
      codigo: 'SEM',
      nome: 'Sem campanha',
      tipo: 'nenhuma',
      percentual: null,
      valor_cupom: null,
      inicio: new Date('1900-01-01T00:00:00Z'),
      fim: new Date('9999-12-31T00:00:00Z'),
      custo: '0',
      ativa: false,
      source_updated_at: new Date('1900-01-01T00:00:00Z'),
      run_id: 'unknown',
    })
    .execute();

  const fk = (table: string, key: string) => `dw.${table}.${key}`;
  const audit = <B extends { addColumn: (...a: any[]) => B }>(b: B): B =>
    b
      .addColumn('source_updated_at', t.ts, (c: any) => c.notNull())
      .addColumn('run_id', t.text(40), (c: any) => c.notNull())
      .addColumn('loaded_at', t.ts, (c: any) => c.notNull().defaultTo(t.now));

  // sales: one row per order item; cancelled orders and removed items stay, flagged
  await audit(
    db.schema
      .withSchema('dw')
      .createTable('fact_vendas')
      .addColumn('item_id', 'bigint', (c) => c.primaryKey())
      .addColumn('pedido_id', 'bigint', (c) => c.notNull())
      .addColumn('numero_item', 'integer', (c) => c.notNull())
      .addColumn('pedido_codigo', t.text(64))
      .addColumn('status', t.text(20), (c) => c.notNull())
      .addColumn('removido', t.bool, (c) => c.notNull())
      .addColumn('data_pedido', t.ts)
      .addColumn('data_pedido_key', 'integer', (c) => c.notNull().references(fk('dim_data', 'data_key')))
      .addColumn('data_entrega_key', 'integer', (c) => c.notNull().references(fk('dim_data', 'data_key')))
      .addColumn('cliente_id', 'bigint')
      .addColumn('cliente_key', 'bigint', (c) => c.notNull().references(fk('dim_cliente', 'cliente_key')))
      .addColumn('produto_id', 'bigint')
      .addColumn('produto_key', 'bigint', (c) => c.notNull().references(fk('dim_produto', 'produto_key')))
      .addColumn('vendedor_id', 'bigint')
      .addColumn('vendedor_key', 'bigint', (c) => c.notNull().references(fk('dim_vendedor', 'vendedor_key')))
      .addColumn('campanha_id', 'bigint')
      .addColumn('campanha_key', 'bigint', (c) => c.notNull().references(fk('dim_campanha', 'campanha_key')))
      .addColumn('quantidade', 'integer', (c) => c.notNull())
      .addColumn('preco_unitario', t.money, (c) => c.notNull())
      .addColumn('valor_bruto', t.money, (c) => c.notNull())
      .addColumn('valor_desconto', t.money, (c) => c.notNull())
      .addColumn('valor_liquido', t.money, (c) => c.notNull())
      .addColumn('valor_frete', t.money, (c) => c.notNull())
      .addColumn('custo_total', t.money)
      .addColumn('margem', t.money),
  ).execute();
  await db.schema.withSchema('dw').createIndex('ix_fact_vendas_pedido').on('fact_vendas').column('pedido_id').execute();
  await db.schema.withSchema('dw').createIndex('ix_fact_vendas_data').on('fact_vendas').column('data_pedido_key').execute();

  // discounts: one row per discounted order item
  await audit(
    db.schema
      .withSchema('dw')
      .createTable('fact_descontos')
      .addColumn('item_id', 'bigint', (c) => c.primaryKey())
      .addColumn('pedido_id', 'bigint', (c) => c.notNull())
      .addColumn('numero_item', 'integer', (c) => c.notNull())
      .addColumn('status', t.text(20), (c) => c.notNull())
      .addColumn('removido', t.bool, (c) => c.notNull())
      .addColumn('data_pedido_key', 'integer', (c) => c.notNull().references(fk('dim_data', 'data_key')))
      .addColumn('cliente_key', 'bigint', (c) => c.notNull().references(fk('dim_cliente', 'cliente_key')))
      .addColumn('produto_key', 'bigint', (c) => c.notNull().references(fk('dim_produto', 'produto_key')))
      .addColumn('vendedor_key', 'bigint', (c) => c.notNull().references(fk('dim_vendedor', 'vendedor_key')))
      .addColumn('campanha_id', 'bigint')
      .addColumn('campanha_key', 'bigint', (c) => c.notNull().references(fk('dim_campanha', 'campanha_key')))
      .addColumn('percentual_desconto', t.rate)
      .addColumn('valor_desconto', t.money, (c) => c.notNull())
      .addColumn('valor_bruto', t.money, (c) => c.notNull())
      .addColumn('valor_liquido', t.money, (c) => c.notNull()),
  ).execute();

  // sales targets: one row per seller and month
  await audit(
    db.schema
      .withSchema('dw')
      .createTable('fact_metas')
      .addColumn('meta_id', 'bigint', (c) => c.primaryKey())
      .addColumn('vendedor_id', 'bigint', (c) => c.notNull())
      .addColumn('vendedor_key', 'bigint', (c) => c.notNull().references(fk('dim_vendedor', 'vendedor_key')))
      .addColumn('mes', 'date', (c) => c.notNull())
      .addColumn('mes_key', 'integer', (c) => c.notNull().references(fk('dim_data', 'data_key')))
      .addColumn('valor_meta', t.money, (c) => c.notNull())
      .addColumn('quantidade_meta', 'integer'),
  ).execute();
  await db.schema.withSchema('dw').createIndex('uq_fact_metas_vendedor_mes').on('fact_metas').columns(['vendedor_id', 'mes']).unique().execute();

  await db.schema
    .withSchema('etl')
    .alterTable('run_step')
    .addColumn('rows_rekeyed', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}
