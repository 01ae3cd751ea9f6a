// The ODS copy of source rows (schema ods): newest version wins, so an old batch replayed by a
// backfill or an overlapping window never overwrites a newer row.
import type { Transaction } from 'kysely';
import type { EntityDef } from '../entities.js';
import { upsert, type UpsertCounts } from '../upsert.js';

export function upsertOds(trx: Transaction<any>, def: EntityDef): Promise<UpsertCounts> {
  const columns = def.table.columns.map((c) => c.name).filter((c) => c !== 'id');
  return upsert(trx, {
    target: `ods.${def.name}`,
    key: 'id',
    columns,
    newerThan: 'updated_at',
    source: (t) =>
      t
        .selectFrom(`stg.${def.name}`)
        .select(['id', ...columns])
        .as('s'),
  });
}
