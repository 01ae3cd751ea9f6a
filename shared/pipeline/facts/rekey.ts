// Late-arriving members: facts that point to the unknown member (-1) are re-keyed once their
// dimension row exists, and facts of customers/products whose history changed in this run are
// pointed again at the version valid at their order time. A re-keyed fact is stamped with the run
// that re-keyed it (run_id: the run that last wrote the row), so the run's quality gate checks it.
// Facts the run wrote itself are left out: they were keyed after this run's dimension load.
// Returns rows re-keyed per fact table.
import { sql, type Expression, type ExpressionBuilder, type Selectable, type SqlBool, type Transaction } from 'kysely';
import type { DateOnly, DwFactDescontos, DwFactVendas, WarehouseTables } from '../../db/schema/index.js';

type Trx = Transaction<WarehouseTables>;
/**
 * Re-keying is one generic shape per fact column: the dimension, fact and column names are
 * assembled at run time (`d.${dim}_key`, `fact_vendas.${dim}_id`), which Kysely cannot type, so
 * those statements are built on the untyped view of the transaction.
 */
type Untyped = Transaction<any>;

/** The version of an SCD2 member valid at the fact's order time, or -1. */
const pointInTime = (trx: Untyped, dim: 'cliente' | 'produto', fact: string) =>
  sql<number>`coalesce((${trx
    .selectFrom(`dw.dim_${dim} as d`)
    .select(`d.${dim}_key`)
    .whereRef(`d.${dim}_id`, '=', `${fact}.${dim}_id`)
    .whereRef('d.valid_from', '<=', `${fact}.data_pedido`)
    .whereRef('d.valid_to', '>', `${fact}.data_pedido`)}), ${-1})`;

/** An SCD1 member's key, or -1. */
const current = (trx: Untyped, dim: 'vendedor' | 'campanha', fact: string) =>
  sql<number>`coalesce((${trx.selectFrom(`dw.dim_${dim} as d`).select(`d.${dim}_key`).whereRef(`d.${dim}_id`, '=', `${fact}.${dim}_id`)}), ${-1})`;

const dateKey = (trx: Trx, column: string) =>
  sql<number>`coalesce((${trx
    .selectFrom('dw.dim_data as d')
    .select('d.data_key')
    .where('d.data', '=', sql<DateOnly>`cast(${sql.ref(column)} as date)`)}), ${-1})`;

/**
 * Re-keys one fact column, in statements that each read only the facts that can change, by index
 * (migration 0007), never the whole fact table: the facts still on the unknown member (-1), and
 * with `changedIds` (a staging table of this run) the facts of members whose history changed.
 * A fact the first statement fixed already has its right key, so none is counted twice.
 */
async function rekeyColumn(
  trx: Untyped,
  runId: string,
  fact: string,
  keyColumn: string,
  idColumn: string | null,
  value: ReturnType<typeof current>,
  changedIds?: string,
): Promise<number> {
  const rekeyWhere = async (candidates: (eb: any) => any) => {
    const r = await trx
      .updateTable(`dw.${fact}`)
      .set({ [keyColumn]: value, run_id: runId })
      .where(candidates)
      // facts this run wrote were keyed against this run's dimensions already (on a full load all of them)
      .where('run_id', '<>', runId)
      .where(keyColumn, '<>', value)
      .executeTakeFirst();
    return Number(r.numUpdatedRows ?? 0);
  };
  let rows = await rekeyWhere((eb) => (idColumn ? eb.and([eb(keyColumn, '=', -1), eb(idColumn, 'is not', null)]) : eb(keyColumn, '=', -1)));
  if (changedIds && idColumn) rows += await rekeyWhere((eb) => eb(idColumn, 'in', trx.selectFrom(changedIds).select('id')));
  return rows;
}

export async function rekeyFacts(trx: Trx, runId: string): Promise<Record<'fact_vendas' | 'fact_descontos' | 'fact_metas', number>> {
  const v = 'fact_vendas';
  let vendas = 0;
  vendas += await rekeyColumn(trx, runId, v, 'cliente_key', 'cliente_id', pointInTime(trx, 'cliente', v), 'stg.clientes');
  vendas += await rekeyColumn(trx, runId, v, 'produto_key', 'produto_id', pointInTime(trx, 'produto', v), 'stg.produtos');
  vendas += await rekeyColumn(trx, runId, v, 'vendedor_key', 'vendedor_id', current(trx, 'vendedor', v));
  vendas += await rekeyColumn(trx, runId, v, 'campanha_key', 'campanha_id', current(trx, 'campanha', v));
  vendas += await rekeyColumn(trx, runId, v, 'data_pedido_key', 'data_pedido', dateKey(trx, `${v}.data_pedido`));

  // Discount facts carry the same keys as the sale of their item, and a sale's keys change only
  // while one is unknown (-1) or when its customer's or product's history changed in this run. So
  // only those discount facts are compared with their sale (filtered indexes, migration 0009; the
  // member id indexes of 0007), never the whole discount table joined to the sales. The updated
  // table is not aliased (T-SQL's UPDATE ... FROM names it by its bare name), hence sql.ref.
  const descontosRef = <C extends keyof DwFactDescontos>(c: C) => sql.ref<Selectable<DwFactDescontos>[C]>(`fact_descontos.${c}`);
  const keys = ['data_pedido_key', 'cliente_key', 'produto_key', 'vendedor_key', 'campanha_key'] as const;
  const syncDescontos = async (
    candidates: (eb: ExpressionBuilder<WarehouseTables & { v: DwFactVendas }, 'dw.fact_descontos' | 'v'>) => Expression<SqlBool>,
  ) => {
    const r = await trx
      .updateTable('dw.fact_descontos')
      .from('dw.fact_vendas as v')
      .set((eb) => ({ ...Object.fromEntries(keys.map((k) => [k, eb.ref(`v.${k}`)])), run_id: runId }))
      .whereRef('v.item_id', '=', descontosRef('item_id'))
      .where(candidates)
      // a discount fact this run wrote took its keys from its sale, written by this run too
      .where(descontosRef('run_id'), '<>', runId)
      .where((eb) => eb.or(keys.map((k) => eb(eb.ref(`v.${k}`), '<>', descontosRef(k)))))
      .executeTakeFirst();
    return Number(r.numUpdatedRows ?? 0);
  };
  let descontos = 0;
  for (const k of keys) descontos += await syncDescontos((eb) => eb(descontosRef(k), '=', -1));
  descontos += await syncDescontos((eb) => eb('v.cliente_id', 'in', trx.selectFrom('stg.clientes').select('id')));
  descontos += await syncDescontos((eb) => eb('v.produto_id', 'in', trx.selectFrom('stg.produtos').select('id')));

  let metas = 0;
  metas += await rekeyColumn(trx, runId, 'fact_metas', 'vendedor_key', 'vendedor_id', current(trx, 'vendedor', 'fact_metas'));
  metas += await rekeyColumn(trx, runId, 'fact_metas', 'mes_key', null, dateKey(trx, 'fact_metas.mes'));
  return { fact_vendas: vendas, fact_descontos: descontos, fact_metas: metas };
}
