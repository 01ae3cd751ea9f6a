// Staging tables (schema stg): one per extracted entity, shaped like the source table plus the
// row's position in its batch (_seq, to keep the latest of duplicate keys). Only one run holds
// the pipeline lease at a time, so a load simply empties its staging table before filling it.
// The column lists are frozen here on purpose: a later change to the source model adds a new
// migration rather than changing what this one creates.
import type { Kysely } from 'kysely';
import { ddl, type Ddl } from '../ddl.js';

type Col = [name: string, type: 'id' | 'int' | 'money' | 'rate' | 'ts' | 'date' | 'bool' | number];

const COMMON_TAIL: Col[] = [
  ['created_at', 'ts'],
  ['updated_at', 'ts'],
];

const STAGED: Record<string, Col[]> = {
  categorias: [
    ['id', 'id'],
    ['codigo', 120],
    ['nome', 120],
    ['categoria_pai_id', 'id'],
  ],
  vendedores: [
    ['id', 'id'],
    ['codigo', 64],
    ['nome', 160],
    ['cidade', 100],
    ['estado', 60],
    ['cep_prefixo', 10],
    ['ativo', 'bool'],
  ],
  clientes: [
    ['id', 'id'],
    ['codigo', 64],
    ['nome', 160],
    ['email', 200],
    ['segmento', 40],
    ['cidade', 100],
    ['estado', 60],
    ['regiao', 40],
    ['cep_prefixo', 10],
    ['ativo', 'bool'],
  ],
  produtos: [
    ['id', 'id'],
    ['codigo', 64],
    ['nome', 255],
    ['categoria_id', 'id'],
    ['preco_lista', 'money'],
    ['custo', 'money'],
    ['peso_g', 'int'],
    ['ativo', 'bool'],
  ],
  campanhas: [
    ['id', 'id'],
    ['codigo', 40],
    ['nome', 160],
    ['tipo', 20],
    ['percentual', 'rate'],
    ['valor_cupom', 'money'],
    ['inicio', 'ts'],
    ['fim', 'ts'],
    ['custo', 'money'],
    ['ativa', 'bool'],
  ],
};

function typeOf(t: Ddl, type: Col[1]) {
  if (typeof type === 'number') return t.text(type);
  return { id: 'bigint' as const, int: 'integer' as const, money: t.money, rate: t.rate, ts: t.ts, date: 'date' as const, bool: t.bool }[type];
}

export async function up(db: Kysely<any>): Promise<void> {
  const t = ddl(db);
  await db.schema.createSchema('stg').execute();
  for (const [table, columns] of Object.entries(STAGED)) {
    let b = db.schema
      .withSchema('stg')
      .createTable(table)
      .addColumn('_seq', 'bigint', (c) => c.notNull());
    for (const [name, type] of [...columns, ...COMMON_TAIL]) b = b.addColumn(name, typeOf(t, type));
    await b.execute();
    await db.schema.withSchema('stg').createIndex(`ix_${table}_id`).on(table).columns(['id', 'updated_at']).execute();
  }
}
