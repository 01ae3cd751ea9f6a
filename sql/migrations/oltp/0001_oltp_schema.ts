// The OLTP source: an e-commerce marketplace (customers, sellers, catalogue, discount campaigns,
// orders with items and payments, monthly sales targets). Every table has a primary key,
// created_at/updated_at in UTC and an index on (updated_at, id) for incremental extraction.
// Rows that can "disappear" are soft-deleted (itens_pedido.deleted_at) or flagged (ativo,
// pedidos.status = 'cancelado'), so the pipeline always sees the change.
// There are deliberately no CHECK constraints on amounts: like most real sources this one
// trusts the application, and `npm run oltp:check` reports what slipped through.
import type { Kysely } from 'kysely';
import { ddl } from '../ddl.js';

const OLTP_TABLES = ['categorias', 'vendedores', 'clientes', 'produtos', 'campanhas', 'pedidos', 'itens_pedido', 'pagamentos', 'metas'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  const t = ddl(db);
  const s = db.schema.withSchema('oltp');
  await db.schema.createSchema('oltp').execute();

  // Common tail of every table: audit timestamps in UTC.
  const stamps = <B extends { addColumn: (...a: any[]) => B }>(b: B): B =>
    b.addColumn('created_at', t.ts, (c: any) => c.notNull().defaultTo(t.now)).addColumn('updated_at', t.ts, (c: any) => c.notNull().defaultTo(t.now));

  await stamps(
    s
      .createTable('categorias')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('codigo', t.text(120), (c) => c.notNull().unique())
      .addColumn('nome', t.text(120), (c) => c.notNull())
      .addColumn('categoria_pai_id', 'bigint', (c) => c.references('categorias.id')),
  ).execute();

  await stamps(
    s
      .createTable('vendedores')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('codigo', t.text(64), (c) => c.notNull().unique())
      .addColumn('nome', t.text(160), (c) => c.notNull())
      .addColumn('cidade', t.text(100), (c) => c.notNull())
      .addColumn('estado', t.text(60), (c) => c.notNull())
      .addColumn('cep_prefixo', t.text(10))
      .addColumn('ativo', t.bool, (c) => c.notNull().defaultTo(t.true)),
  ).execute();

  await stamps(
    s
      .createTable('clientes')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('codigo', t.text(64), (c) => c.notNull().unique())
      .addColumn('nome', t.text(160), (c) => c.notNull())
      .addColumn('email', t.text(200))
      .addColumn('segmento', t.text(40), (c) => c.notNull())
      .addColumn('cidade', t.text(100), (c) => c.notNull())
      .addColumn('estado', t.text(60), (c) => c.notNull())
      .addColumn('regiao', t.text(40))
      .addColumn('cep_prefixo', t.text(10))
      .addColumn('ativo', t.bool, (c) => c.notNull().defaultTo(t.true)),
  ).execute();

  await stamps(
    s
      .createTable('produtos')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('codigo', t.text(64), (c) => c.notNull().unique())
      .addColumn('nome', t.text(255), (c) => c.notNull())
      .addColumn('categoria_id', 'bigint', (c) => c.notNull().references('categorias.id'))
      .addColumn('preco_lista', t.money, (c) => c.notNull())
      .addColumn('custo', t.money)
      .addColumn('peso_g', 'integer')
      .addColumn('ativo', t.bool, (c) => c.notNull().defaultTo(t.true)),
  ).execute();

  await stamps(
    s
      .createTable('campanhas')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('codigo', t.text(40), (c) => c.notNull().unique())
      .addColumn('nome', t.text(160), (c) => c.notNull())
      // 'percentual': a rate off each item; 'cupom': a fixed value off the order, spread over its items
      .addColumn('tipo', t.text(20), (c) => c.notNull())
      .addColumn('percentual', t.rate)
      .addColumn('valor_cupom', t.money)
      .addColumn('inicio', t.ts, (c) => c.notNull())
      .addColumn('fim', t.ts, (c) => c.notNull())
      // what the campaign itself cost (media, fees), for discount ROI
      .addColumn('custo', t.money, (c) => c.notNull())
      .addColumn('ativa', t.bool, (c) => c.notNull().defaultTo(t.true)),
  ).execute();

  await stamps(
    s
      .createTable('pedidos')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('codigo', t.text(64), (c) => c.notNull().unique())
      .addColumn('cliente_id', 'bigint', (c) => c.notNull().references('clientes.id'))
      .addColumn('status', t.text(20), (c) => c.notNull())
      .addColumn('data_pedido', t.ts, (c) => c.notNull())
      .addColumn('data_aprovacao', t.ts)
      .addColumn('data_envio', t.ts)
      .addColumn('data_entrega', t.ts)
      .addColumn('data_entrega_prevista', t.ts)
      .addColumn('data_cancelamento', t.ts)
      // delivery address as it was on this order (customers move; SCD2 in the warehouse)
      .addColumn('cidade_entrega', t.text(100))
      .addColumn('estado_entrega', t.text(60))
      .addColumn('modo_envio', t.text(40))
      .addColumn('campanha_id', 'bigint', (c) => c.references('campanhas.id'))
      .addColumn('valor_produtos', t.money, (c) => c.notNull())
      .addColumn('valor_desconto', t.money, (c) => c.notNull())
      .addColumn('valor_frete', t.money, (c) => c.notNull())
      .addColumn('valor_total', t.money, (c) => c.notNull()),
  ).execute();

  await stamps(
    s
      .createTable('itens_pedido')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('pedido_id', 'bigint', (c) => c.notNull().references('pedidos.id'))
      .addColumn('numero_item', 'integer', (c) => c.notNull())
      .addColumn('produto_id', 'bigint', (c) => c.notNull().references('produtos.id'))
      .addColumn('vendedor_id', 'bigint', (c) => c.notNull().references('vendedores.id'))
      .addColumn('campanha_id', 'bigint', (c) => c.references('campanhas.id'))
      .addColumn('quantidade', 'integer', (c) => c.notNull())
      .addColumn('preco_unitario', t.money, (c) => c.notNull())
      .addColumn('valor_bruto', t.money, (c) => c.notNull())
      .addColumn('percentual_desconto', t.rate)
      .addColumn('valor_desconto', t.money, (c) => c.notNull())
      .addColumn('valor_liquido', t.money, (c) => c.notNull())
      .addColumn('valor_frete', t.money, (c) => c.notNull())
      .addColumn('custo_total', t.money)
      .addColumn('deleted_at', t.ts)
      .addUniqueConstraint('uq_itens_pedido_pedido_item', ['pedido_id', 'numero_item']),
  ).execute();

  await stamps(
    s
      .createTable('pagamentos')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('pedido_id', 'bigint', (c) => c.notNull().references('pedidos.id'))
      .addColumn('sequencial', 'integer', (c) => c.notNull())
      .addColumn('tipo', t.text(30), (c) => c.notNull())
      .addColumn('parcelas', 'integer', (c) => c.notNull())
      .addColumn('valor', t.money, (c) => c.notNull())
      .addUniqueConstraint('uq_pagamentos_pedido_seq', ['pedido_id', 'sequencial']),
  ).execute();

  await stamps(
    s
      .createTable('metas')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('vendedor_id', 'bigint', (c) => c.notNull().references('vendedores.id'))
      // first day of the target month
      .addColumn('mes', 'date', (c) => c.notNull())
      .addColumn('valor_meta', t.money, (c) => c.notNull())
      .addColumn('quantidade_meta', 'integer')
      .addUniqueConstraint('uq_metas_vendedor_mes', ['vendedor_id', 'mes']),
  ).execute();

  // Extraction reads "updated_at > x ORDER BY updated_at, id": one index per table serves it.
  for (const table of OLTP_TABLES) {
    await s.createIndex(`ix_${table}_updated_at_id`).on(table).columns(['updated_at', 'id']).execute();
  }
  // Foreign keys that joins and the checks walk.
  await s.createIndex('ix_pedidos_cliente_id').on('pedidos').column('cliente_id').execute();
  await s.createIndex('ix_itens_pedido_produto_id').on('itens_pedido').column('produto_id').execute();
  await s.createIndex('ix_itens_pedido_vendedor_id').on('itens_pedido').column('vendedor_id').execute();
}
