// Which staged entity feeds which dimension, and how. Order matters: categories before
// products (products take their category names from dim_categoria).
import { sql, type Selectable, type Transaction } from 'kysely';
import type { DwDimCategoria, DwDimProduto, WarehouseTables } from '../../db/schema/index.js';
import type { EntityName } from '../entities.js';
import { dimension, type DimensionDef } from './scd.js';

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
    def: dimension({
      table: 'dim_categoria',
      key: 'categoria_key',
      id: 'categoria_id',
      columns: categoria,
      source: (trx) =>
        trx
          .selectFrom('stg.categorias')
          .select(['id', 'updated_at', ...categoria])
          .as('s'),
    }),
  },
  {
    entity: 'vendedores',
    kind: 'scd1',
    def: dimension({
      table: 'dim_vendedor',
      key: 'vendedor_key',
      id: 'vendedor_id',
      columns: vendedor,
      source: (trx) =>
        trx
          .selectFrom('stg.vendedores')
          .select(['id', 'updated_at', ...vendedor])
          .as('s'),
    }),
  },
  {
    entity: 'campanhas',
    kind: 'scd1',
    def: dimension({
      table: 'dim_campanha',
      key: 'campanha_key',
      id: 'campanha_id',
      columns: campanha,
      source: (trx) =>
        trx
          .selectFrom('stg.campanhas')
          .select(['id', 'updated_at', ...campanha])
          .as('s'),
    }),
  },
  {
    entity: 'clientes',
    kind: 'scd2',
    def: dimension({
      table: 'dim_cliente',
      key: 'cliente_key',
      id: 'cliente_id',
      columns: cliente,
      tracked: ['cidade', 'estado', 'segmento'],
      source: (trx) =>
        trx
          .selectFrom('stg.clientes')
          .select(['id', 'updated_at', ...cliente])
          .as('s'),
    }),
  },
  {
    entity: 'produtos',
    kind: 'scd2',
    def: dimension({
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
            (eb) => eb.fn.coalesce('c.nome', eb.val('Desconhecida')).as('categoria'),
            'c.nome_pai as categoria_pai',
            'p.preco_lista',
            'p.custo',
            'p.ativo',
          ])
          .as('s'),
    }),
  },
];

/**
 * Category names are SCD1 everywhere: after categories load, parents' names and the names
 * carried by product versions follow the latest category rows.
 */
export async function propagateCategoryNames(trx: Transaction<WarehouseTables>): Promise<void> {
  // The updated table is not aliased (T-SQL's UPDATE ... FROM names it by its bare name), so
  // Kysely cannot type references to it: they go through sql.ref, their columns still checked.
  const dimCategoria = <C extends keyof DwDimCategoria>(c: C) => sql.ref<Selectable<DwDimCategoria>[C]>(`dim_categoria.${c}`);
  const dimProduto = <C extends keyof DwDimProduto>(c: C) => sql.ref<Selectable<DwDimProduto>[C]>(`dim_produto.${c}`);
  await trx
    .updateTable('dw.dim_categoria')
    .set((eb) => ({
      nome_pai: eb.selectFrom('dw.dim_categoria as p').select('p.nome').whereRef('p.categoria_id', '=', dimCategoria('categoria_pai_id')),
    }))
    .where('categoria_key', '>', 0)
    .where((eb) =>
      eb(
        eb.ref('nome_pai'),
        'is distinct from',
        eb.selectFrom('dw.dim_categoria as p').select('p.nome').whereRef('p.categoria_id', '=', dimCategoria('categoria_pai_id')),
      ),
    )
    .execute();
  await trx
    .updateTable('dw.dim_produto')
    .from('dw.dim_categoria as c')
    .set((eb) => ({ categoria: eb.ref('c.nome'), categoria_pai: eb.ref('c.nome_pai') }))
    .whereRef('c.categoria_id', '=', dimProduto('categoria_id'))
    .where(dimProduto('produto_key'), '>', 0)
    .where((eb) => eb.or([eb('c.nome', 'is distinct from', dimProduto('categoria')), eb('c.nome_pai', 'is distinct from', dimProduto('categoria_pai'))]))
    .execute();
}
