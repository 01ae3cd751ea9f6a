// Watermarks in the warehouse (etl.watermark, DESIGN §4.2): read before an extract, advanced only
// inside the transaction that commits the entity's load. The rules (which loads move them, never
// backwards) are in extract-window.ts.
import type { Kysely, Transaction } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import { laterWatermark } from './extract-window.js';

export async function readWatermark(db: Kysely<WarehouseTables>, entity: string): Promise<Date | null> {
  const row = await db.selectFrom('etl.watermark').select('high_water').where('entity', '=', entity).executeTakeFirst();
  return row ? new Date(row.high_water) : null;
}

export async function advanceWatermark(trx: Transaction<WarehouseTables>, entity: string, highWater: Date, runId: string): Promise<void> {
  const current = await readWatermark(trx, entity);
  const next = laterWatermark(current, highWater);
  if (next === null) return;
  if (current === null) {
    await trx.insertInto('etl.watermark').values({ entity, high_water: next, run_id: runId, updated_at: new Date() }).execute();
  } else {
    await trx.updateTable('etl.watermark').set({ high_water: next, run_id: runId, updated_at: new Date() }).where('entity', '=', entity).execute();
  }
}
