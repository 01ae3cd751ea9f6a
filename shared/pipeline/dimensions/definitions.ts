// Which staged entity feeds which dimension, and how. Order matters: categories before
// products (products take their category names from dim_categoria).
import { sql } from 'kysely';
import type { EntityName } from '../entities.js';
import type { DimensionDef } from './scd.js';

const plain =
  (stg: string, columns: readonly string[]): DimensionDef['source'] =>
  (trx) =>
    trx
      .selectFrom(`stg.${stg}`)
      .select(['id', 'updated_at', ...columns])
      .as('s');

export interface DimensionLoad {
  entity: EntityName;
  kind: 'scd1' | 'scd2';
  def: DimensionDef;
}

const categoria = ['codigo', 'nome', 'categoria_pai_id'] as const;
const vendedor = ['codigo', 'nome', 'cidade', 'estado', 'ativo'] as const;
const campanha = ['codigo', 'nome', 'tipo', 'percentual', 'valor_cupom', 'inicio', 'fim', 'custo', 'ativa'] as const;
const cliente = ['codigo', 'nome', 'email', 'segmento', 'cidade', 'estado', 'regiao', 'ativo'] as const;
const produto = ['codigo', 'nome', 'categoria_id', 'categoria', 'categoria_pai', 'preco_lista', 'custo', 'ativo'] as const;

export const DIMENSION_LOADS: readonly DimensionLoad[] = [
  {
    entity: 'categorias',
    kind: 'scd1',
    def: { table: 'dim_categoria', key: 'categoria_key', id: 'categoria_id', columns: categoria, source: plain('categorias', categoria) },
  },
  {
    entity: 'vendedores',
    kind: 'scd1',
    def: { table: 'dim_vendedor', key: 'vendedor_key', id: 'vendedor_id', columns: vendedor, source: plain('vendedores', vendedor) },
  },
  {
    entity: 'campanhas',
    kind: 'scd1',
    def: { table: 'dim_campanha', key: 'campanha_key', id: 'campanha_id', columns: campanha, source: plain('campanhas', campanha) },
  },
  {
    entity: 'clientes',
    kind: 'scd2',
    def: {
      table: 'dim_cliente',
      key: 'cliente_key',
      id: 'cliente_id',
      columns: cliente,
      tracked: ['cidade', 'estado', 'segmento'],
      source: plain('clientes', cliente),
    },
  },
  {
    entity: 'produtos',
    kind: 'scd2',
    def: {
      table: 'dim_produto',
      key: 'produto_key',
      id: 'produto_id',
      columns: produto,
      tracked: ['categoria_id', 'preco_lista'],
      // a product whose category has not arrived yet is named 'Desconhecida' until it does
      source: (trx) =>
        trx
          .selectFrom('stg.produtos as p')
          .leftJoin('dw.dim_categoria as c', 'c.categoria_id', 'p.categoria_id')
          .select([
            'p.id',
            'p.updated_at',
            'p.codigo',
            'p.nome',
            'p.categoria_id',
            (eb) => eb.fn.coalesce('c.nome', sql.lit('Desconhecida')).as('categoria'),
            'c.nome_pai as categoria_pai',
            'p.preco_lista',
            'p.custo',
            'p.ativo',
          ])
          .as('s'),
    },
  },
];

/**
 * Category names are SCD1 everywhere: after categories load, parents' names and the names
 * carried by product versions follow the latest category rows.
 */
export async function propagateCategoryNames(trx: import('kysely').Transaction<any>): Promise<void> {
  await trx
    .updateTable('dw.dim_categoria')
    .set((eb) => ({
      nome_pai: eb.selectFrom('dw.dim_categoria as p').select('p.nome').whereRef('p.categoria_id', '=', 'dim_categoria.categoria_pai_id'),
    }))
    .where('categoria_key', '>', 0)
    .where((eb) =>
      eb(
        eb.ref('nome_pai'),
        'is distinct from',
        eb.selectFrom('dw.dim_categoria as p').select('p.nome').whereRef('p.categoria_id', '=', 'dim_categoria.categoria_pai_id'),
      ),
    )
    .execute();
  await trx
    .updateTable('dw.dim_produto')
    .from('dw.dim_categoria as c')
    .set((eb) => ({ categoria: eb.ref('c.nome'), categoria_pai: eb.ref('c.nome_pai') }))
    .whereRef('c.categoria_id', '=', 'dim_produto.categoria_id')
    .where(sql.ref('dim_produto.produto_key'), '>', 0)
    .where((eb) =>
      eb.or([eb('c.nome', 'is distinct from', eb.ref('dim_produto.categoria')), eb('c.nome_pai', 'is distinct from', eb.ref('dim_produto.categoria_pai'))]),
    )
    .execute();
}
