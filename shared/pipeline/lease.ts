// One run at a time (DESIGN §4.4). The lease is a row in etl.lease taken with a conditional
// UPDATE — atomic on PostgreSQL, PGlite and SQL Server alike — and held across the queue hops of
// a run (extract -> dimensions -> facts). While a step works, a heartbeat renews it every third of
// RUN_LEASE_MINUTES; a run that stops heartbeating (a killed process) lets it expire, and whoever
// takes it next (timer, backfill, CLI) marks that run failed with the reason.
//
// Holder values: `<runId>` between steps, `<runId>#<token>` while one delivery of a load message
// works on the run (its claim: a second delivery of the same message waits for it, so two never
// share the run's staging tables). A load commits only if its transaction still finds its claim in
// the row (guardLease), so a run that lost the lease can never move a watermark.
import type { Kysely, Transaction } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import { abandonRun } from './run-audit.js';

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

/** The run a holder value belongs to (a claim is `<runId>#<token>`). */
export const runOfHolder = (holder: string): string => holder.split('#')[0]!;

const later = (now: Date, ttlMinutes: number) => new Date(now.getTime() + ttlMinutes * 60_000);

/** The lease row: who holds it and until when. */
export async function readLease(db: Kysely<WarehouseTables>): Promise<{ holder: string | null; expiresAt: Date | null }> {
  const row = await db.selectFrom('etl.lease').select(['holder', 'expires_at']).where('name', '=', PIPELINE_LEASE).executeTakeFirstOrThrow();
  return { holder: row.holder, expiresAt: row.expires_at && new Date(row.expires_at) };
}

export type LeaseOutcome =
  { acquired: true; recovered?: { runId: string; expiredAt: Date } } | { acquired: false; holder: string | null; expiresAt: Date | null };

/** The holder of an expired lease (a dead run: its heartbeat stopped), or null when the lease is free or live. */
export function deadHolder(lease: { holder: string | null; expiresAt: Date | null }, now: Date): string | null {
  return lease.holder !== null && lease.expiresAt !== null && lease.expiresAt < now ? lease.holder : null;
}

/**
 * Takes the lease for runId if it is free, already runId's, or expired. Taking over an expired
 * lease marks its run failed (a dead run: no heartbeat) and says so in `recovered`. Returns the
 * current holder when the lease is held by a live run. With `deadOnly` (the watchdog) only an
 * expired lease is taken: a free or live one is left alone.
 */
export async function acquireLease(
  db: Kysely<WarehouseTables>,
  runId: string,
  ttlMinutes: number,
  now = new Date(),
  options: { deadOnly?: boolean } = {},
): Promise<LeaseOutcome> {
  const before = await readLease(db);
  const expired = deadHolder(before, now);
  const dead = expired !== null && runOfHolder(expired) !== runId ? expired : null;
  if (options.deadOnly && dead === null) return { acquired: false, holder: before.holder, expiresAt: before.expiresAt };
  const result = await db
    .updateTable('etl.lease')
    .set({ holder: runId, acquired_at: now, expires_at: later(now, ttlMinutes) })
    .where('name', '=', PIPELINE_LEASE)
    .where((eb) => {
      const free = options.deadOnly ? [] : [eb('holder', 'is', null), eb('holder', '=', runId)];
      // only the expired holder we read: it is the run we are about to mark failed. Two takers
      // of the same dead lease race on this one conditional UPDATE; exactly one matches.
      return eb.or(dead === null ? free : [...free, eb.and([eb('holder', '=', dead), eb('expires_at', '<', now)])]);
    })
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 1) {
    if (dead === null) return { acquired: true };
    const expiredAt = before.expiresAt!;
    const deadRun = runOfHolder(dead);
    await abandonRun(
      db,
      deadRun,
      `run presumed dead: its pipeline lease expired at ${expiredAt.toISOString()} without a heartbeat; recovered by run ${runId}`,
      now,
    );
    return { acquired: true, recovered: { runId: deadRun, expiredAt } };
  }
  const row = await readLease(db);
  return { acquired: false, holder: row.holder, expiresAt: row.expiresAt };
}

/** Extends the lease of a run that holds it (or re-takes it if it lapsed and nobody else took it). */
export async function renewLease(db: Kysely<WarehouseTables>, runId: string, ttlMinutes: number, now = new Date()): Promise<void> {
  const got = await acquireLease(db, runId, ttlMinutes, now);
  if (!got.acquired) throw new LeaseLostError(runId, got.holder);
}

/** Frees the lease if `holder` (a run id or a claim) holds it. */
export async function releaseLease(db: Kysely<WarehouseTables>, holder: string): Promise<void> {
  await db
    .updateTable('etl.lease')
    .set({ holder: null, expires_at: null, acquired_at: null })
    .where('name', '=', PIPELINE_LEASE)
    .where('holder', '=', holder)
    .execute();
}

export type ClaimOutcome = { claimed: true } | { claimed: false; busy: boolean; holder: string | null };

/**
 * One delivery of a load message claims its run: the lease goes from `<runId>` to `claim`. A claim
 * of the same run that expired (its process died) is taken over; a live one is `busy` (another
 * delivery of the same run is working); anything else means the run does not hold the lease.
 */
export async function claimRun(db: Kysely<WarehouseTables>, runId: string, claim: string, ttlMinutes: number, now = new Date()): Promise<ClaimOutcome> {
  const take = async (from: string, expiredOnly: boolean) => {
    let q = db
      .updateTable('etl.lease')
      .set({ holder: claim, expires_at: later(now, ttlMinutes) })
      .where('name', '=', PIPELINE_LEASE)
      .where('holder', '=', from);
    if (expiredOnly) q = q.where('expires_at', '<', now);
    return Number((await q.executeTakeFirst()).numUpdatedRows) === 1;
  };
  if (await take(runId, false)) return { claimed: true };
  const { holder, expiresAt } = await readLease(db);
  if (holder === null || holder === claim || runOfHolder(holder) !== runId) return { claimed: false, busy: false, holder };
  if (holder !== runId && expiresAt !== null && expiresAt < now && (await take(holder, true))) return { claimed: true };
  return { claimed: false, busy: true, holder };
}

/** Gives the run's lease back from a delivery's claim to the run, for its next step. */
export async function returnClaim(db: Kysely<WarehouseTables>, runId: string, claim: string, ttlMinutes: number, now = new Date()): Promise<void> {
  await db
    .updateTable('etl.lease')
    .set({ holder: runId, expires_at: later(now, ttlMinutes) })
    .where('name', '=', PIPELINE_LEASE)
    .where('holder', '=', claim)
    .execute();
}

/** Extends the lease if `holder` still holds it; false when it has lost it. */
export async function extendLease(db: Kysely<WarehouseTables>, holder: string, ttlMinutes: number, now = new Date()): Promise<boolean> {
  const result = await db
    .updateTable('etl.lease')
    .set({ expires_at: later(now, ttlMinutes) })
    .where('name', '=', PIPELINE_LEASE)
    .where('holder', '=', holder)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Inside a load's transaction, before it commits: the lease must still be `holder`'s (and is
 * extended). The row stays locked until the commit, so no other run can take it in between; a
 * run that lost its lease rolls back and moves no watermark.
 */
export async function guardLease(trx: Transaction<WarehouseTables>, holder: string, ttlMinutes: number): Promise<void> {
  if (!(await extendLease(trx, holder, ttlMinutes))) throw new LeaseLostError(runOfHolder(holder), null);
}

export interface Heartbeat {
  /** true once a renewal found the lease taken by someone else */
  readonly lost: boolean;
  /** throws LeaseLostError once the lease is lost */
  assertHeld(): void;
  /** stops the timer (and waits for a renewal in flight) */
  stop(): Promise<void>;
}

/**
 * Renews `holder`'s lease every `intervalMs` (default: a third of the lease) while work goes on.
 * The timer is unref'd (it never keeps a process alive) and must be stopped in a finally. A failed
 * renewal (database blip) is logged and tried again at the next beat.
 */
export function startHeartbeat(
  db: Kysely<WarehouseTables>,
  holder: string,
  ttlMinutes: number,
  log: { warn(message: string, props?: Record<string, unknown>): void },
  intervalMs = Math.max(1000, (ttlMinutes * 60_000) / 3),
): Heartbeat {
  let lost = false;
  let inFlight: Promise<void> | null = null;
  const beat = () => {
    if (inFlight || lost) return;
    inFlight = extendLease(db, holder, ttlMinutes)
      .then((held) => {
        if (!held) {
          lost = true;
          log.warn('the pipeline lease was lost: this run will not commit again', { holder });
        }
      })
      .catch((e: unknown) => log.warn('lease heartbeat failed; retrying at the next beat', { holder, error: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        inFlight = null;
      });
  };
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    assertHeld() {
      if (lost) throw new LeaseLostError(runOfHolder(holder), null);
    },
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
