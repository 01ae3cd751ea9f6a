// The fact step of a run (queue trigger on load-facts), the run's last step. It runs FACT_STEPS
// (facts/steps.ts) in order: each stages its entities of the run, then loads them in its own
// transaction together with their quarantined rows and watermarks. A failure rolls back its
// transaction (facts and watermarks unchanged) and fails the run; the queue retries the message,
// and a retry converges to the same facts (every write is an idempotent upsert). Each step's
// transaction runs the fact checks of the quality gate before it commits (a blocking failure rolls
// it back). At the end the whole-warehouse checks run; when they pass the certified pointer moves
// to this run, the run is marked succeeded, its volume report stored and the pipeline lease released.
import { vacuumAnalyze } from '../db/portable-sql.js';
import { advanceCertified } from '../quality/certified.js';
import { qualitySummary } from '../quality/summary.js';
import { onPools, runBounded } from '../quality/concurrency.js';
import { checksOf, recordGateFailure, runGate } from '../quality/gate.js';
import { prefetchReconciliation } from '../quality/reconciliation.js';
import type { Manifest } from '../storage/batch-manifest.js';
import type { PipelineContext } from './context.js';
import { DIMENSION_LOADS } from './dimensions/definitions.js';
import { ENTITIES, entity, type EntityName } from './entities.js';
import { watermarkAfterLoad, windowOf } from './extract-window.js';
import { withBulkForeignKeys } from './facts/foreign-keys.js';
import { emptyWorkTables } from './facts/sales.js';
import { FACT_STEPS, type FactLoadResult, type FactStep } from './facts/steps.js';
import type { BatchStore } from '../storage/batch-store.js';
import { releaseLease } from './lease.js';
import { finalFailure, openLoadStep, partsToLoad, type OpenedStep } from './load-step.js';
import type { LoadMessage } from './messages.js';
import { errorText, finishRun, finishStep, recordRekeyed, startStep } from './run-audit.js';
import { readRunReport } from './run-report.js';
import { emptyStaging, failedCounts, quarantine, stageBatch, type StagingCounts } from './staging.js';
import { retryStep } from './step-retry.js';
import { advanceWatermark, watermarksAfter } from './watermark.js';
import { reportLoadFailure, reportRunSucceeded } from './run-telemetry-report.js';
import { stepCompleted } from '../telemetry/run-telemetry.js';

/** The ODS tables the fact steps write; with the dimensions, vacuumed after a bulk load. */
const ODS_TABLES = ['ods.pedidos', 'ods.itens_pedido', 'ods.pagamentos'];
const DIMENSION_TABLES = ['dw.dim_data', ...DIMENSION_LOADS.map((l) => `dw.${l.def.table}`)];

/** One entity's batch, staged for a fact step. */
interface StagedBatch extends StagingCounts {
  entity: EntityName;
  manifest: Manifest;
  started: number;
}

export async function loadFacts(ctx: PipelineContext, message: LoadMessage): Promise<void> {
  const { dw, log } = ctx;
  const { runId } = message;
  // entities whose facts step has started and not finished: marked failed if the load fails
  const unfinished = new Set<EntityName>();
  let running: FactStep | undefined;
  // refused messages throw here, before anything is written; a duplicate of a finished run is null
  const opened = await openLoadStep(ctx, message, 'facts');
  if (!opened) return;
  let final: string | null = null;
  let released = false;
  try {
    const manifests = await opened.readManifests();
    // on pools, the reconciliation's whole-history source reads run while the facts load (for the
    // cutoff this load will leave); the gate at the end uses them (quality/reconciliation.ts)
    const prefetched = onPools(dw.db, ctx.oltp.db)
      ? prefetchReconciliation(
          ctx.oltp.db,
          await watermarksAfter(
            dw.db,
            message.kind,
            [...manifests].map(([name, m]) => [name, windowOf(m.window)] as const),
          ),
          checksOf('warehouse', { catalogue: ctx.qualityChecks }),
        )
      : undefined;
    // a daily run's fact parts download at once (a full load's one ahead, as they are staged)
    const parts = ctx.store.readingAhead(
      partsToLoad(
        opened,
        manifests,
        FACT_STEPS.flatMap((step) => step.stages),
      ),
    );
    // what the steps add to the run's JSON report (discount facts, re-keyed facts)
    const extras: Record<string, unknown> = {};
    for (const step of FACT_STEPS) {
      running = step;
      // a step whose entities an earlier delivery of this run already loaded is not run again
      if (step.stages.length > 0 && step.stages.every((name) => !manifests.has(name) || opened.done.has(name))) {
        if (step.stages.some((name) => manifests.has(name)))
          log.info('facts already loaded by an earlier delivery of this run; not loaded again', { runId, step: step.name });
        continue;
      }
      opened.heartbeat.assertHeld();
      const done = await retryStep(ctx, { runId, kind: message.kind, step: 'facts', entity: step.name }, () =>
        runStep(ctx, message, manifests, step, unfinished, opened, parts),
      );
      if (!done) continue;
      await reportStep(ctx, message, done.batches, done.result);
      for (const b of done.batches) unfinished.delete(b.entity);
      if (done.result.report) {
        log.info(`facts: ${step.name}`, { runId, ...done.result.report });
        const { foreignKeysValidatedInBulk: bulk, ...rest } = done.result.report as { foreignKeysValidatedInBulk?: string[] };
        Object.assign(extras, rest);
        // the fact tables of every step that validated its foreign keys in bulk
        if (bulk) extras.foreignKeysValidatedInBulk = [...((extras.foreignKeysValidatedInBulk as string[] | undefined) ?? []), ...bulk];
      }
    }
    running = undefined;

    // a bulk load (a full load, a large backfill) leaves its fact tables with stale statistics and
    // an unset visibility map until autovacuum passes, and the checks below and the KPI views'
    // index-only scans (migration dw/0014) read them at once. The run wrote the ODS and the
    // dimensions in bulk too: vacuumed with the facts, and staging and the work tables emptied
    // (their rows are loaded), autovacuum has nothing left to catch up on, which it would
    // otherwise do during the next run
    const bulkFacts = extras.foreignKeysValidatedInBulk as string[] | undefined;
    if (bulkFacts) {
      const started = Date.now();
      for (const e of ENTITIES) await emptyStaging(dw.db, e.name);
      await emptyWorkTables(dw.db);
      const tables = [...bulkFacts, ...ODS_TABLES, ...DIMENSION_TABLES];
      // one table per statement, two at a time on a pool: each VACUUM works one table on one core
      await runBounded(tables, onPools(dw.db) ? 2 : 1, (table) => vacuumAnalyze(dw.db, [table]));
      log.info('facts: vacuumed and analyzed after the bulk load, staging emptied', { runId, tables, ms: Date.now() - started });
    }

    // the whole-warehouse checks (reconciliation with the source, SCD2 over every member): facts
    // are committed by now; a blocking failure fails the run and keeps the certified pointer where it is
    opened.heartbeat.assertHeld();
    const quality = await runGate('warehouse', { dw: dw.db, oltp: ctx.oltp.db, runId, settings: ctx.settings, prefetched }, { catalogue: ctx.qualityChecks });
    const certifiedTo = await advanceCertified(dw.db, runId);
    const run = await readRunReport(dw.db, runId);
    opened.heartbeat.assertHeld();
    await finishRun(dw.db, runId, 'succeeded', undefined, { steps: run?.steps, ...extras, quality: qualitySummary(quality), certifiedTo });
    await releaseLease(dw.db, opened.holder);
    released = true;
    if (run) await reportRunSucceeded(ctx, run, certifiedTo);
    log.info('run succeeded', {
      runId,
      steps: run?.steps.map((s) => ({
        step: s.step,
        entity: s.entity,
        read: s.read,
        inserted: s.inserted,
        updated: s.updated,
        unchanged: s.unchanged,
        rejected: s.rejected,
        rekeyed: s.rekeyed,
        ms: s.ms,
      })),
    });
  } catch (e) {
    final = finalFailure(ctx, e);
    log.error(final ? 'fact load failed; the run is given up and the lease released' : 'fact load failed', {
      runId,
      step: running?.name,
      entities: [...unfinished],
      error: errorText(e),
      final,
    });
    await recordGateFailure(dw.db, runId, e).catch((err: unknown) => log.warn('could not record the failed quality gate', { runId, error: errorText(err) }));
    for (const name of unfinished) await finishStep(dw.db, runId, 'facts', name, 'failed', failedCounts(e, name), e).catch(() => undefined);
    await finishRun(dw.db, runId, 'failed', final ? `${errorText(e)} (given up: ${final})` : e).catch(() => undefined);
    await reportLoadFailure(ctx, message, { step: 'facts', entity: [...unfinished][0] ?? running?.name, error: e, final });
    throw e;
  } finally {
    if (!released) await opened.close(final !== null).catch((e: unknown) => log.warn('could not settle the pipeline lease', { runId, error: errorText(e) }));
    else await opened.heartbeat.stop();
  }
}

/**
 * Stages the step's entities from `store` (the run's parts, read ahead for a daily run) outside
 * the transaction (bulk paths use their own connection), then runs its load, quarantine and
 * watermarks in one transaction. Null when the run has none of the entities the step stages.
 */
async function runStep(
  ctx: PipelineContext,
  message: LoadMessage,
  manifests: Map<string, Manifest>,
  step: FactStep,
  unfinished: Set<EntityName>,
  opened: OpenedStep,
  store: BatchStore,
): Promise<{ batches: StagedBatch[]; result: FactLoadResult } | null> {
  const { dw, settings } = ctx;
  const { runId } = message;
  const batches: StagedBatch[] = [];
  for (const name of step.stages) {
    const manifest = manifests.get(name);
    // an entity absent from this run (a backfill of some entities) is emptied from staging so
    // "affected orders" only covers this run's rows
    if (!manifest) {
      await emptyStaging(dw.db, name);
      continue;
    }
    const started = performance.now();
    unfinished.add(name);
    await startStep(dw.db, runId, 'facts', name, windowOf(manifest.window));
    const counts = await stageBatch(dw, store, entity(name)!, manifest, settings.REJECT_THRESHOLD_PERCENT, { limits: settings, runId });
    batches.push({ entity: name, manifest, started, ...counts });
  }
  if (step.stages.length > 0 && batches.length === 0) return null;
  // a large load (full load, big backfill) checks its facts' foreign keys in one pass before commit
  const staged = batches.reduce((n, b) => n + b.accepted, 0);
  const bulk = step.writes.length > 0 && staged > 0 && staged >= settings.BULK_FK_MIN_ROWS;
  const result = await dw.db.transaction().execute(async (trx) => {
    const load = () => step.load(trx, runId, new Set(batches.map((b) => b.entity)));
    const r = bulk ? await withBulkForeignKeys(trx, step.writes, load) : await load();
    if (bulk) r.report = { ...r.report, foreignKeysValidatedInBulk: step.writes };
    for (const b of batches) {
      await quarantine(trx, runId, b.entity, b.rejected);
      const highWater = watermarkAfterLoad(message.kind, windowOf(b.manifest.window));
      if (highWater) await advanceWatermark(trx, b.entity, highWater, runId);
    }
    // write-audit-publish: a blocking check rolls the step back with its quarantine and watermarks (gate.ts);
    // the checks of fact tables the step does not touch are left to the steps that do, and a step
    // that changed no fact (re-keying that found nothing) has nothing new to check
    if (r.wroteFacts !== false)
      await runGate(
        'facts',
        { dw: trx, runId, batches: new Map(batches.map((b) => [b.entity, b.manifest])), settings },
        { catalogue: ctx.qualityChecks, audits: step.audits },
      );
    await opened.guard(trx);
    return r;
  });
  return { batches, result };
}

/** Finishes the run_step of every entity the step staged, and adds the facts it re-keyed to theirs. */
async function reportStep(ctx: PipelineContext, message: LoadMessage, batches: StagedBatch[], result: FactLoadResult): Promise<void> {
  const { dw, log } = ctx;
  const { runId } = message;
  for (const b of batches) {
    const { inserted, updated } = result.written?.[b.entity] ?? { inserted: 0, updated: 0 };
    const counts = { rows_inserted: inserted, rows_updated: updated, rows_unchanged: Math.max(0, b.accepted - inserted - updated) };
    await finishStep(dw.db, runId, 'facts', b.entity, 'succeeded', { rows_read: b.read, rows_loaded: b.accepted, rows_rejected: b.rejected.length, ...counts });
    if (b.rejected.length > 0) log.warn('rows quarantined', { runId, entity: b.entity, rejected: b.rejected.length, firstReason: b.rejected[0]?.reason });
    const ms = Math.round(performance.now() - b.started);
    log.info('facts loaded', { runId, entity: b.entity, read: b.read, rejected: b.rejected.length, ...counts, ms });
    stepCompleted(ctx, message, {
      step: 'facts',
      entity: b.entity,
      durationMs: ms,
      rowsRead: b.read,
      rowsLoaded: b.accepted,
      rowsRejected: b.rejected.length,
      rowsInserted: inserted,
      rowsUpdated: updated,
    });
  }
  for (const [name, rows] of Object.entries(result.rekeyed ?? {})) if (rows > 0) await recordRekeyed(dw.db, runId, 'facts', name, rows);
}
