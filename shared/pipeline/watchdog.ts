// The watchdog (functions/watchdog.ts, every WATCHDOG_SCHEDULE): a run that dies during its
// extract has no queue message that would come back, so without it nothing but the next daily
// trigger would notice. When the pipeline lease has expired without a heartbeat, the watchdog does
// what that trigger would do (lease.ts): takes the lease over, which marks the dead run failed
// with the reason, and starts a recovery run from the watermarks through the normal extract path.
// Otherwise it does nothing and writes nothing: a free lease or a live run is left alone, and of
// two watchdogs firing at once only the one whose conditional UPDATE takes the lease goes on.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import type { PipelineContext } from './context.js';
import { acquireLease, deadHolder, readLease, runOfHolder } from './lease.js';
import { newRunId } from './run-audit.js';
import { runExtract, type ExtractOutcome } from './run-extract.js';
import { reportDeadRun } from './run-telemetry-report.js';

export type WatchdogOutcome =
  | { status: 'idle'; holder: string | null; expiresAt: Date | null }
  | { status: 'recovered'; deadRun: string; leaseExpiredAt: Date; recoveryRun: string; extract: ExtractOutcome };

/** The run whose lease expired without a heartbeat, if any (one read of etl.lease, nothing written). */
export async function findDeadRun(db: Kysely<WarehouseTables>, now = new Date()): Promise<{ runId: string; expiredAt: Date } | null> {
  const lease = await readLease(db);
  const dead = deadHolder(lease, now);
  return dead === null ? null : { runId: runOfHolder(dead), expiredAt: lease.expiresAt! };
}

/**
 * Recovers a dead run, if the lease says there is one: the dead run is marked failed ("run presumed
 * dead ... recovered by run <recovery run>") and a daily run extracts from the watermarks and
 * queues its loads as the timer's run would.
 */
export async function recoverDeadRun(ctx: PipelineContext, now = new Date()): Promise<WatchdogOutcome> {
  const { dw, settings, log } = ctx;
  const runId = newRunId(now);
  const taken = await acquireLease(dw.db, runId, settings.RUN_LEASE_MINUTES, now, { deadOnly: true });
  if (!taken.acquired) return { status: 'idle', holder: taken.holder, expiresAt: taken.expiresAt };
  if (!taken.recovered) throw new Error('watchdog: a dead-only take-over returned no dead run'); // acquireLease guarantees it
  const { runId: deadRun, expiredAt } = taken.recovered;
  log.warn('watchdog: recovered a dead run; it is marked failed and a recovery run loads again from the watermarks', {
    runId,
    deadRun,
    leaseExpiredAt: expiredAt.toISOString(),
  });
  await reportDeadRun(ctx, taken.recovered, runId);
  const extract = await runExtract(ctx, { runId, now, requestedBy: 'watchdog' });
  if (extract.status === 'started') log.info('watchdog: recovery run extracted; dimension load queued', { runId, deadRun, rows: extract.rows });
  return { status: 'recovered', deadRun, leaseExpiredAt: expiredAt, recoveryRun: runId, extract };
}
