// The dimension step of a run (queue trigger on load-dimensions). For each dimension entity of
// the run: read and verify its batch, stage it, then in ONE transaction quarantine the rejected
// rows, merge into the dimension and advance the entity's watermark (DESIGN §4.2). A failure
// rolls that transaction back: watermark unchanged, no partial rows; the queue retries. The
// dimension checks of the quality gate run in that transaction before it commits: a blocking
// failure rolls it back too and stops the run here (the fact load never starts for it).
// Then the calendar is extended to the dates the batches need and the run is handed to the fact
// load through its queue.
import type { Transaction } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import type { PipelineContext } from './context.js';
import { calendarSpan, ensureCalendar } from './dimensions/calendar.js';
import { DIMENSION_LOADS, propagateCategoryNames } from './dimensions/definitions.js';
import { mergeScd1, mergeScd2, type MergeCounts } from './dimensions/scd.js';
import { entity } from './entities.js';
import { watermarkAfterLoad, windowOf } from './extract-window.js';
import { QUEUES, type LoadMessage } from './messages.js';
import { errorText, finishRun, finishStep, startStep } from './run-audit.js';
import { failedCounts, quarantine, stageBatch } from './staging.js';
import { recordGateFailure, runGate } from '../quality/gate.js';
import { finalFailure, openLoadStep, partsToLoad } from './load-step.js';
import { retryStep } from './step-retry.js';
import { advanceWatermark } from './watermark.js';
import { reportLoadFailure } from './run-telemetry-report.js';
import { stepCompleted } from '../telemetry/run-telemetry.js';

export interface EntityLoadReport extends MergeCounts {
  entity: string;
  read: number;
  rejected: number;
  ms: number;
}

/** Test seam: lets a test fail a merge half-way to prove the rollback. Never set in production. */
export const faults: { afterMerge?: (entity: string, trx: Transaction<WarehouseTables>) => Promise<void> } = {};

export async function loadDimensions(ctx: PipelineContext, message: LoadMessage): Promise<EntityLoadReport[]> {
  const { dw, store, settings, log } = ctx;
  const { runId } = message;
  const reports: EntityLoadReport[] = [];
  let current = 'calendar';
  // refused messages throw here, before anything is written; a duplicate of a finished run is null
  const opened = await openLoadStep(ctx, message, 'dimensions');
  if (!opened) return reports;
  let final: string | null = null;
  try {
    const manifests = await opened.readManifests();
    // a daily run's dimension parts download at once (a full load's one ahead, as they are staged)
    const parts = store.readingAhead(
      partsToLoad(
        opened,
        manifests,
        DIMENSION_LOADS.map((load) => load.entity),
      ),
    );

    for (const load of DIMENSION_LOADS) {
      const manifest = manifests.get(load.entity);
      if (!manifest) continue;
      if (opened.done.has(load.entity)) {
        log.info('dimension already loaded by an earlier delivery of this run; not loaded again', { runId, entity: load.entity });
        continue;
      }
      opened.heartbeat.assertHeld();
      current = load.entity;
      const def = entity(load.entity)!;
      const started = performance.now();
      const window = windowOf(manifest.window);
      await startStep(dw.db, runId, 'dimensions', load.entity, window);
      const { staged, counts } = await retryStep(ctx, { runId, kind: message.kind, step: 'dimensions', entity: load.entity }, async () => {
        const staged = await stageBatch(dw, parts, def, manifest, settings.REJECT_THRESHOLD_PERCENT, { limits: settings, runId });
        const counts = await dw.db.transaction().execute(async (trx) => {
          await quarantine(trx, runId, load.entity, staged.rejected);
          const c = load.kind === 'scd2' ? await mergeScd2(trx, load.def, runId) : await mergeScd1(trx, load.def, runId);
          if (load.entity === 'categorias') await propagateCategoryNames(trx);
          await faults.afterMerge?.(load.entity, trx);
          const highWater = watermarkAfterLoad(message.kind, window);
          if (highWater) await advanceWatermark(trx, load.entity, highWater, runId);
          // write-audit-publish: a blocking check rolls this dimension's load back (gate.ts); the
          // checks of the other dimensions are left to their own loads
          await runGate(
            'dimensions',
            { dw: trx, runId, batches: new Map([[load.entity, manifest]]), settings },
            { catalogue: ctx.qualityChecks, audits: [`dw.${load.def.table}`] },
          );
          await opened.guard(trx);
          return c;
        });
        return { staged, counts };
      });
      const report: EntityLoadReport = {
        entity: load.entity,
        read: staged.read,
        rejected: staged.rejected.length,
        ...counts,
        ms: Math.round(performance.now() - started),
      };
      await finishStep(dw.db, runId, 'dimensions', load.entity, 'succeeded', {
        rows_read: report.read,
        rows_loaded: staged.accepted,
        rows_rejected: report.rejected,
        rows_inserted: report.inserted,
        rows_updated: report.updated,
        rows_unchanged: report.unchanged,
      });
      stepCompleted(ctx, message, {
        step: 'dimensions',
        entity: load.entity,
        durationMs: report.ms,
        rowsRead: report.read,
        rowsLoaded: staged.accepted,
        rowsRejected: report.rejected,
        rowsInserted: report.inserted,
        rowsUpdated: report.updated,
      });
      if (report.rejected > 0) log.warn('rows quarantined', { runId, entity: load.entity, rejected: report.rejected, firstReason: staged.rejected[0]?.reason });
      log.info('dimension loaded', { runId, ...report });
      reports.push(report);
    }

    current = 'calendar';
    const ranges = [...manifests.values()].flatMap((m) => (m.dateRange ? [m.dateRange] : []));
    const { from, to } = calendarSpan(ranges, new Date().toISOString().slice(0, 10));
    const added = await dw.db.transaction().execute((trx) => ensureCalendar(trx, from, to));
    if (added > 0) log.info('calendar extended', { runId, from, to, days: added });

    // The fact load, the run's last step, picks up the fact batches from its queue.
    const factBatches = message.batches.filter((b) => entity(b.entity)?.loadedBy === 'facts');
    opened.heartbeat.assertHeld();
    // a transient storage error here is retried like one while staging: the dimensions are
    // committed, and with their parts read ahead at the start this send may be the step's only
    // storage request after an outage began
    await retryStep(ctx, { runId, kind: message.kind, step: 'dimensions' }, () =>
      ctx.queues.send(QUEUES.facts, { runId, kind: message.kind, batches: factBatches } satisfies LoadMessage),
    );
    return reports;
  } catch (e) {
    final = finalFailure(ctx, e);
    log.error(final ? 'dimension load failed; the run is given up and the lease released' : 'dimension load failed', {
      runId,
      entity: current,
      error: errorText(e),
      final,
    });
    await recordGateFailure(dw.db, runId, e).catch((err: unknown) => log.warn('could not record the failed quality gate', { runId, error: errorText(err) }));
    if (current !== 'calendar') await finishStep(dw.db, runId, 'dimensions', current, 'failed', failedCounts(e, current), e).catch(() => undefined);
    await finishRun(dw.db, runId, 'failed', final ? `${errorText(e)} (given up: ${final})` : e).catch(() => undefined);
    await reportLoadFailure(ctx, message, { step: 'dimensions', entity: current, error: e, final });
    throw e;
  } finally {
    await opened.close(final !== null).catch((e: unknown) => log.warn('could not settle the pipeline lease', { runId, error: errorText(e) }));
  }
}
