// Watermarks (DESIGN §4.2): read before an extract, advanced only inside the transaction that
// commits the entity's load, and never moved backwards (a backfill re-reads an old window
// without touching them).
import type { Kysely, Transaction } from 'kysely';

export async function readWatermark(db: Kysely<any>, entity: string): Promise<Date | null> {
  const row = await db.selectFrom('etl.watermark').select('high_water').where('entity', '=', entity).executeTakeFirst();
  return row ? new Date(row.high_water) : null;
}

export async function advanceWatermark(trx: Transaction<any>, entity: string, highWater: Date, runId: string): Promise<void> {
  const current = await readWatermark(trx, entity);
  if (current === null) {
    await trx.insertInto('etl.watermark').values({ entity, high_water: highWater, run_id: runId, updated_at: new Date() }).execute();
  } else if (highWater > current) {
    await trx.updateTable('etl.watermark').set({ high_water: highWater, run_id: runId, updated_at: new Date() }).where('entity', '=', entity).execute();
  }
}
