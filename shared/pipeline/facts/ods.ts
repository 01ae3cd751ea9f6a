// The ODS copy of source rows (schema ods): newest version wins, so an old batch replayed by a
// backfill or an overlapping window never overwrites a newer row.
import type { Transaction } from 'kysely';
import type { NamesIn, WarehouseTables } from '../../db/schema/index.js';
import { entity } from '../entities.js';
import { upsert, type ColumnOf, type UpsertCounts } from '../upsert.js';

/** The entities with an ODS copy: pedidos, itens_pedido, pagamentos. */
export type OdsEntity = NamesIn<WarehouseTables, 'ods'>;

export function upsertOds(trx: Transaction<WarehouseTables>, name: OdsEntity): Promise<UpsertCounts> {
  // The ODS and staging tables copy the source's columns, which the entity lists at run time:
  // the one list here the compiler cannot check.
  const columns = entity(name)!
    .table.columns.map((c) => c.name)
    .filter((c) => c !== 'id') as ColumnOf<`ods.${OdsEntity}`>[];
  return upsert(trx, {
    target: `ods.${name}`,
    key: 'id',
    columns,
    newerThan: 'updated_at',
    source: (t) =>
      t
        .selectFrom(`stg.${name}`)
        .select(['id', ...columns])
        .as('s'),
  });
}
