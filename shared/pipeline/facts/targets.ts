// fact_metas: one row per seller and month, keyed on the source's target id.
import { type Transaction } from 'kysely';
import type { WarehouseTables } from '../../db/schema/index.js';
import { upsert, type UpsertCounts } from '../upsert.js';

export const TARGET_COLUMNS = ['vendedor_id', 'vendedor_key', 'mes', 'mes_key', 'valor_meta', 'quantidade_meta', 'source_updated_at'] as const;

export function loadTargets(trx: Transaction<WarehouseTables>, runId: string): Promise<UpsertCounts> {
  return upsert(trx, {
    target: 'dw.fact_metas',
    key: 'meta_id',
    columns: TARGET_COLUMNS,
    newerThan: 'source_updated_at',
    stamp: { run_id: runId, loaded_at: new Date() },
    source: (t) =>
      t
        .selectFrom('stg.metas as m')
        .leftJoin('dw.dim_vendedor as dv', 'dv.vendedor_id', 'm.vendedor_id')
        .leftJoin('dw.dim_data as dd', 'dd.data', 'm.mes')
        .select((eb) => [
          'm.id as meta_id',
          'm.vendedor_id',
          eb.fn.coalesce('dv.vendedor_key', eb.val(-1)).as('vendedor_key'),
          'm.mes',
          eb.fn.coalesce('dd.data_key', eb.val(-1)).as('mes_key'),
          'm.valor_meta',
          'm.quantidade_meta',
          'm.updated_at as source_updated_at',
        ])
        .as('s'),
  });
}
