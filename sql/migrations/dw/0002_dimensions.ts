// Conformed dimensions of the star (schema dw). Surrogate keys are assigned by the loader
// (max key + row number in business-key order) rather than by IDENTITY/sequences: a rolled-back
// load then leaves no gaps, and a retried run produces exactly the keys a clean run would.
// Every dimension has the "unknown" member, key -1, so a fact is never dropped for a late row.
import type { Kysely } from 'kysely';
import { ddl } from '../ddl.js';

const FAR_PAST = new Date('1900-01-01T00:00:00.000Z');
const FAR_FUTURE = new Date('9999-12-31T00:00:00.000Z');

export async function up(db: Kysely<any>): Promise<void> {
  const t = ddl(db);
  const s = db.schema.withSchema('dw');
  const dw = db.withSchema('dw');
  await db.schema.createSchema('dw').execute();

  const audit = <B extends { addColumn: (...a: any[]) => B }>(b: B): B =>
    b
      // updated_at of the source row this version was built from
      .addColumn('source_updated_at', t.ts, (c: any) => c.notNull())
      .addColumn('run_id', t.text(40), (c: any) => c.notNull())
      .addColumn('loaded_at', t.ts, (c: any) => c.notNull().defaultTo(t.now));

  // Calendar, one row per day, with Brazilian Portuguese names.
  await s
    .createTable('dim_data')
    .addColumn('data_key', 'integer', (c) => c.primaryKey()) // yyyymmdd; -1 = unknown
    .addColumn('data', 'date', (c) => c.notNull().unique())
    .addColumn('ano', 'integer', (c) => c.notNull())
    .addColumn('trimestre', 'integer', (c) => c.notNull())
    .addColumn('mes', 'integer', (c) => c.notNull())
    .addColumn('nome_mes', t.text(20), (c) => c.notNull())
    .addColumn('ano_mes', t.text(7), (c) => c.notNull())
    .addColumn('dia', 'integer', (c) => c.notNull())
    .addColumn('dia_semana', 'integer', (c) => c.notNull()) // 1 = domingo ... 7 = sábado
    .addColumn('nome_dia_semana', t.text(20), (c) => c.notNull())
    .addColumn('fim_de_semana', t.bool, (c) => c.notNull())
    .execute();
  await dw
    .insertInto('dim_data')
    .values({
      data_key: -1,
      data: '1900-01-01',
      ano: 1900,
      trimestre: 1,
      mes: 1,
      nome_mes: 'Desconhecido',
      ano_mes: '1900-01',
      dia: 1,
      dia_semana: 2,
      nome_dia_semana: 'Desconhecido',
      fim_de_semana: false,
    })
    .execute();

  // SCD1: categories (product category names are looked up here when products load).
  await audit(
    s
      .createTable('dim_categoria')
      .addColumn('categoria_key', 'bigint', (c) => c.primaryKey())
      .addColumn('categoria_id', 'bigint', (c) => c.notNull().unique())
      .addColumn('codigo', t.text(120), (c) => c.notNull())
      .addColumn('nome', t.text(120), (c) => c.notNull())
      .addColumn('categoria_pai_id', 'bigint')
      .addColumn('nome_pai', t.text(120)),
  ).execute();

  // SCD1: sellers and campaigns.
  await audit(
    s
      .createTable('dim_vendedor')
      .addColumn('vendedor_key', 'bigint', (c) => c.primaryKey())
      .addColumn('vendedor_id', 'bigint', (c) => c.notNull().unique())
      .addColumn('codigo', t.text(64), (c) => c.notNull())
      .addColumn('nome', t.text(160), (c) => c.notNull())
      .addColumn('cidade', t.text(100), (c) => c.notNull())
      .addColumn('estado', t.text(60), (c) => c.notNull())
      .addColumn('ativo', t.bool, (c) => c.notNull()),
  ).execute();

  await audit(
    s
      .createTable('dim_campanha')
      .addColumn('campanha_key', 'bigint', (c) => c.primaryKey())
      .addColumn('campanha_id', 'bigint', (c) => c.notNull().unique())
      .addColumn('codigo', t.text(40), (c) => c.notNull())
      .addColumn('nome', t.text(160), (c) => c.notNull())
      .addColumn('tipo', t.text(20), (c) => c.notNull())
      .addColumn('percentual', t.rate)
      .addColumn('valor_cupom', t.money)
      .addColumn('inicio', t.ts, (c) => c.notNull())
      .addColumn('fim', t.ts, (c) => c.notNull())
      .addColumn('custo', t.money, (c) => c.notNull())
      .addColumn('ativa', t.bool, (c) => c.notNull()),
  ).execute();

  // SCD2: customers (history on cidade, estado, segmento) and products (on categoria, preco_lista).
  // valid_from inclusive, valid_to exclusive; exactly one is_current row per business key.
  const scd2 = <B extends { addColumn: (...a: any[]) => B }>(b: B): B =>
    audit(
      b
        .addColumn('valid_from', t.ts, (c: any) => c.notNull())
        .addColumn('valid_to', t.ts, (c: any) => c.notNull())
        .addColumn('is_current', t.bool, (c: any) => c.notNull()),
    );

  await scd2(
    s
      .createTable('dim_cliente')
      .addColumn('cliente_key', 'bigint', (c) => c.primaryKey())
      .addColumn('cliente_id', 'bigint', (c) => c.notNull())
      .addColumn('codigo', t.text(64), (c) => c.notNull())
      .addColumn('nome', t.text(160), (c) => c.notNull())
      .addColumn('email', t.text(200))
      .addColumn('segmento', t.text(40), (c) => c.notNull())
      .addColumn('cidade', t.text(100), (c) => c.notNull())
      .addColumn('estado', t.text(60), (c) => c.notNull())
      .addColumn('regiao', t.text(40))
      .addColumn('ativo', t.bool, (c) => c.notNull()),
  ).execute();

  await scd2(
    s
      .createTable('dim_produto')
      .addColumn('produto_key', 'bigint', (c) => c.primaryKey())
      .addColumn('produto_id', 'bigint', (c) => c.notNull())
      .addColumn('codigo', t.text(64), (c) => c.notNull())
      .addColumn('nome', t.text(255), (c) => c.notNull())
      .addColumn('categoria_id', 'bigint', (c) => c.notNull())
      .addColumn('categoria', t.text(120), (c) => c.notNull())
      .addColumn('categoria_pai', t.text(120))
      .addColumn('preco_lista', t.money, (c) => c.notNull())
      .addColumn('custo', t.money)
      .addColumn('ativo', t.bool, (c) => c.notNull()),
  ).execute();

  for (const [table, id] of [
    ['dim_cliente', 'cliente_id'],
    ['dim_produto', 'produto_id'],
  ] as const) {
    await s.createIndex(`uq_${table}_version`).on(table).columns([id, 'valid_from']).unique().execute();
    // Point-in-time lookups by the fact load walk (id, valid_from, valid_to).
    await s.createIndex(`ix_${table}_current`).on(table).columns([id]).unique().where(t.isTrue('is_current')).execute();
  }

  const unknown = { source_updated_at: FAR_PAST, run_id: 'unknown' };
  const version = { valid_from: FAR_PAST, valid_to: FAR_FUTURE, is_current: true };
  await dw
    .insertInto('dim_categoria')
    .values({ categoria_key: -1, categoria_id: -1, codigo: 'N/D', nome: 'Desconhecida', categoria_pai_id: null, nome_pai: null, ...unknown })
    .execute();
  await dw
    .insertInto('dim_vendedor')
    .values({ vendedor_key: -1, vendedor_id: -1, codigo: 'N/D', nome: 'Desconhecido', cidade: 'N/D', estado: 'N/D', ativo: true, ...unknown })
    .execute();
  await dw
    .insertInto('dim_campanha')
    .values({
      campanha_key: -1,
      campanha_id: -1,
      codigo: 'N/D',
      nome: 'Sem campanha / desconhecida',
      tipo: 'N/D',
      percentual: null,
      valor_cupom: null,
      inicio: FAR_PAST,
      fim: FAR_FUTURE,
      custo: '0',
      ativa: false,
      ...unknown,
    })
    .execute();
  await dw
    .insertInto('dim_cliente')
    .values({
      cliente_key: -1,
      cliente_id: -1,
      codigo: 'N/D',
      nome: 'Desconhecido',
      email: null,
      segmento: 'N/D',
      cidade: 'N/D',
      estado: 'N/D',
      regiao: null,
      ativo: true,
      ...version,
      ...unknown,
    })
    .execute();
  await dw
    .insertInto('dim_produto')
    .values({
      produto_key: -1,
      produto_id: -1,
      codigo: 'N/D',
      nome: 'Desconhecido',
      categoria_id: -1,
      categoria: 'Desconhecida',
      categoria_pai: null,
      preco_lista: '0',
      custo: null,
      ativo: true,
      ...version,
      ...unknown,
    })
    .execute();
}
