// The certified-as-of pointer (etl.certified): the newest run whose checks all passed and the
// source time the warehouse is complete and checked up to. Moved only by a run that passed every
// blocking check of every phase, in one conditional UPDATE that never moves it backwards.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';

export const CERTIFIED = 'pipeline';

export interface Certified {
  runId: string | null;
  /** the lowest watermark when the run passed: every source change up to it is in the warehouse and checked */
  certifiedTo: Date | null;
  certifiedAt: Date | null;
}

export async function readCertified(db: Kysely<WarehouseTables>): Promise<Certified> {
  const row = await db.selectFrom('etl.certified').select(['run_id', 'certified_to', 'certified_at']).where('name', '=', CERTIFIED).executeTakeFirst();
  return { runId: row?.run_id ?? null, certifiedTo: row?.certified_to ?? null, certifiedAt: row?.certified_at ?? null };
}

/** Points at `runId` as of the lowest current watermark; null (not moved) when no watermark exists. */
export async function advanceCertified(db: Kysely<WarehouseTables>, runId: string, now = new Date()): Promise<Date | null> {
  const low = await db
    .selectFrom('etl.watermark')
    .select((eb) => eb.fn.min('high_water').as('low'))
    .executeTakeFirst();
  const to = low?.low ? new Date(low.low) : null;
  if (!to) return null;
  await db
    .updateTable('etl.certified')
    .set({ run_id: runId, certified_to: to, certified_at: now })
    .where('name', '=', CERTIFIED)
    .where((eb) => eb.or([eb('certified_to', 'is', null), eb('certified_to', '<=', to)]))
    .execute();
  return to;
}
