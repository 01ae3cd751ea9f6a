// One run at a time (DESIGN §4.4). The lease is a row in etl.lease taken with a conditional
// UPDATE — atomic on PostgreSQL, PGlite and SQL Server alike — and held across the queue hops of
// a run (extract -> dimensions -> facts). Each step renews it; a crashed run's lease expires
// after RUN_LEASE_MINUTES so the pipeline never stays stuck.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';

export const PIPELINE_LEASE = 'pipeline';

export class LeaseLostError extends Error {
  constructor(
    readonly runId: string,
    readonly holder: string | null,
  ) {
    super(`run ${runId} no longer holds the pipeline lease (held by ${holder ?? 'nobody'})`);
    this.name = 'LeaseLostError';
  }
}

/**
 * Takes the lease for runId if it is free or expired. Returns the current holder when it is not
 * (null if that holder released it between the update and the read).
 */
export async function acquireLease(
  db: Kysely<WarehouseTables>,
  runId: string,
  ttlMinutes: number,
  now = new Date(),
): Promise<{ acquired: true } | { acquired: false; holder: string | null; expiresAt: Date | null }> {
  const expires = new Date(now.getTime() + ttlMinutes * 60_000);
  const result = await db
    .updateTable('etl.lease')
    .set({ holder: runId, acquired_at: now, expires_at: expires })
    .where('name', '=', PIPELINE_LEASE)
    .where((eb) => eb.or([eb('holder', 'is', null), eb('expires_at', '<', now), eb('holder', '=', runId)]))
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 1) return { acquired: true };
  const row = await db.selectFrom('etl.lease').select(['holder', 'expires_at']).where('name', '=', PIPELINE_LEASE).executeTakeFirstOrThrow();
  return { acquired: false, holder: row.holder, expiresAt: row.expires_at && new Date(row.expires_at) };
}

/** Extends the lease of a run that holds it (or re-takes it if it lapsed and nobody else took it). */
export async function renewLease(db: Kysely<WarehouseTables>, runId: string, ttlMinutes: number, now = new Date()): Promise<void> {
  const got = await acquireLease(db, runId, ttlMinutes, now);
  if (!got.acquired) throw new LeaseLostError(runId, got.holder);
}

export async function releaseLease(db: Kysely<WarehouseTables>, runId: string): Promise<void> {
  await db
    .updateTable('etl.lease')
    .set({ holder: null, expires_at: null, acquired_at: null })
    .where('name', '=', PIPELINE_LEASE)
    .where('holder', '=', runId)
    .execute();
}
