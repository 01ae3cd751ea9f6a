// Watermarks in the warehouse (etl.watermark, DESIGN §4.2): read before an extract, advanced only
// inside the transaction that commits the entity's load. The rules (which loads move them, never
// backwards) are in extract-window.ts.
import type { Kysely, Transaction } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import { laterWatermark, watermarkAfterLoad, type ExtractWindow } from './extract-window.js';
import type { RunKind } from './run-audit.js';

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

/**
 * Every entity's watermark as it will be once a load of these windows commits (the load moves
 * each to its window's end on a daily run, never backwards; a backfill moves none).
 */
export async function watermarksAfter(
  db: Kysely<WarehouseTables>,
  kind: RunKind,
  windows: Iterable<readonly [string, ExtractWindow]>,
): Promise<Map<string, Date>> {
  const rows = await db.selectFrom('etl.watermark').select(['entity', 'high_water']).execute();
  const marks = new Map(rows.map((r) => [r.entity, new Date(r.high_water)]));
  for (const [entity, window] of windows) {
    const loaded = watermarkAfterLoad(kind, window);
    const next = loaded && laterWatermark(marks.get(entity) ?? null, loaded);
    if (next) marks.set(entity, next);
  }
  return marks;
}
