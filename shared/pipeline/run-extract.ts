// The extract step of a run (timer trigger, or the pipeline command): takes the pipeline lease,
// extracts every entity into Blob storage, records the batches and hands the run to the
// dimension load through its queue. A second trigger while a run holds the lease exits cleanly.
// The two halves are separate for the backfill, whose HTTP request takes the lease and answers at
// once (startRunUnderLease) while a queue message runs the extract later (extractUnderLease).
import type { PipelineContext } from './context.js';
import { ENTITIES, type EntityDef } from './entities.js';
import { extractEntity } from './extract.js';
import { heldBackTooLong, lateRowsAtLeast, type ExtractWindow, type WindowCap } from './extract-window.js';
import { acquireLease, extendLease, LeaseLostError, releaseLease, returnClaim, startHeartbeat } from './lease.js';
import { QUEUES, type LoadMessage } from './messages.js';
import {
  errorText,
  finishRun,
  finishStep,
  newRunId,
  previousTailRows,
  recordBatch,
  recordRunWarnings,
  startRun,
  startStep,
  type RunKind,
} from './run-audit.js';
import { retryStep } from './step-retry.js';
import { runFailed, runStarted, stepCompleted } from '../telemetry/run-telemetry.js';
import { reportDeadRun } from './run-telemetry-report.js';
import { onPools, runBounded } from '../quality/concurrency.js';
import { readOpenTransactions, type OpenTransactionsRead } from '../db/portable-sql.js';
import { readWatermark } from './watermark.js';

/** Per entity: how the open-transaction cap shaped the window, and the counts of the late-row check (extract-window.ts lateRowsAtLeast). */
export interface EntityCapReport {
  cap: WindowCap['status'];
  oldestOpenTransaction: string | null;
  heldBackMinutes: number;
  reason?: string;
  /** rows read at or below the watermark (re-read by the overlap) */
  overlapRows: number;
  /** rows read in (to - overlap, to]: the next run's overlap */
  tailRows: number;
  /** at least this many rows committed after the previous run's snapshot below its window's end (null: nothing to compare) */
  lateRows: number | null;
}

export type ExtractOutcome =
  | {
      status: 'started';
      runId: string;
      batches: LoadMessage['batches'];
      rows: Record<string, number>;
      caps: Record<string, EntityCapReport>;
      /** what the run report must say (etl.run.warnings): the cap unavailable (overlap only), a window held back too long, late rows */
      warnings: string[];
    }
  | { status: 'skipped'; runId: string; heldBy: string | null };

export interface ExtractOptions {
  kind?: RunKind;
  now?: Date;
  window?: ExtractWindow;
  entities?: string[];
  requestedBy?: string;
  /** the run id, when the caller already took the lease for it (the watchdog's take-over) */
  runId?: string;
  /** which try of the day's trigger this is (a postponed daily extract retries later) */
  attempt?: number;
}

/** One entity's extract: its batch for the load message, its counts and its warnings for the run report. */
interface ExtractedEntity {
  batch: LoadMessage['batches'][number];
  rows: number;
  cap: EntityCapReport;
  /** rows committed late below the previous window's end */
  late?: string;
  /** the late-commit cap could not be used: the run says so once */
  capUnavailable?: string;
  /** an open source transaction held the window back too long */
  heldBack?: string;
}

/** A run that holds the pipeline lease, recorded as running, whose extract has not started. */
export interface LeasedRun {
  runId: string;
  kind: RunKind;
  startedAt: Date;
}

export async function runExtract(ctx: PipelineContext, opts: ExtractOptions = {}): Promise<ExtractOutcome> {
  const started = await startRunUnderLease(ctx, opts);
  if (started.status === 'skipped') return started;
  return extractUnderLease(ctx, started.run, { window: opts.window, entities: opts.entities });
}

/**
 * The first half of a run: takes the pipeline lease (a dead holder is marked failed and reported),
 * records the run as running and reports it started. When a live run holds the lease the request
 * is recorded as a skipped run. The lease is held for RUN_LEASE_MINUTES from now; the caller's
 * extract (extractUnderLease) renews it from there.
 */
export async function startRunUnderLease(
  ctx: PipelineContext,
  opts: ExtractOptions = {},
): Promise<{ status: 'leased'; run: LeasedRun } | { status: 'skipped'; runId: string; heldBy: string | null }> {
  const { dw, settings, log } = ctx;
  const now = opts.now ?? new Date();
  const runId = opts.runId ?? newRunId(now);
  const kind = opts.kind ?? 'daily';
  const run = { runId, kind, startedAt: now };
  let lease: Awaited<ReturnType<typeof acquireLease>>;
  try {
    lease = await acquireLease(dw.db, runId, settings.RUN_LEASE_MINUTES, now);
  } catch (e) {
    // the warehouse is unreachable: the run cannot even be recorded, but it is a failed run all the same
    log.error('the run could not start', { runId, error: errorText(e) });
    await runFailed(ctx, run, { step: 'start', error: e, reason: 'the run could not take the pipeline lease' });
    throw e;
  }
  if (!lease.acquired) {
    log.warn('another run holds the pipeline lease; this trigger exits', {
      runId,
      heldBy: lease.holder,
      leaseExpiresAt: lease.expiresAt?.toISOString() ?? null,
    });
    await startRun(dw.db, { runId, kind, requestedBy: opts.requestedBy });
    await finishRun(dw.db, runId, 'skipped', `pipeline lease held by run ${lease.holder}`);
    return { status: 'skipped', runId, heldBy: lease.holder };
  }
  if (lease.recovered) {
    log.warn('recovered a dead run: it is marked failed and this run loads again from the watermarks', {
      runId,
      deadRun: lease.recovered.runId,
      leaseExpiredAt: lease.recovered.expiredAt.toISOString(),
    });
    await reportDeadRun(ctx, lease.recovered, runId);
  }
  try {
    await startRun(dw.db, { runId, kind, requestedBy: opts.requestedBy, window: opts.window });
  } catch (e) {
    log.error('the run could not start', { runId, error: errorText(e) });
    await runFailed(ctx, run, { step: 'start', error: e, reason: 'the run could not be recorded' });
    await releaseLease(dw.db, runId).catch(() => undefined);
    throw e;
  }
  log.info('run started', { runId, kind });
  runStarted(ctx, run, opts.attempt);
  return { status: 'leased', run };
}

/**
 * The second half: extracts the entities of a leased run into Blob storage, records the batches
 * and queues the dimension load. `holder` is what holds the lease meanwhile: the run id, or a
 * delivery's claim of it (`<runId>#<token>`, see lease.ts claimRun), which is handed back to the
 * run before the load is queued. A failure is final: the run is marked failed, the lease released and the failure reported once.
 */
export async function extractUnderLease(
  ctx: PipelineContext,
  run: LeasedRun,
  opts: { window?: ExtractWindow; entities?: string[]; holder?: string } = {},
): Promise<Extract<ExtractOutcome, { status: 'started' }>> {
  const { dw, settings, log } = ctx;
  const { runId, kind, startedAt: now } = run;
  const holder = opts.holder ?? runId;
  // renews the lease while the extract works, so a short RUN_LEASE_MINUTES only expires for a dead run
  const heartbeat = startHeartbeat(dw.db, holder, settings.RUN_LEASE_MINUTES, log);
  const defs = ENTITIES.filter((e) => !opts.entities || opts.entities.includes(e.name));
  const extracted: (ExtractedEntity | undefined)[] = [];
  let failed: string | undefined;
  let warnings: string[] | undefined;

  const extractOne = async (def: EntityDef, lowerBound: Date | null, openTransactions: OpenTransactionsRead | undefined): Promise<ExtractedEntity> => {
    heartbeat.assertHeld();
    const started = performance.now();
    await startStep(dw.db, runId, 'extract', def.name);
    // the late-row check compares this run's overlap re-read with what the watermark's batch read there (a backfill has no overlap)
    const previousTail = opts.window ? null : await previousTailRows(dw.db, def.name);
    const result = await retryStep(ctx, { runId, kind, step: 'extract', entity: def.name }, (attempt) =>
      extractEntity(ctx.oltp, ctx.store, def, {
        runId,
        // a retried attempt writes a folder of its own: blobs are never overwritten
        folderRunId: attempt > 1 ? `${runId}-a${attempt}` : runId,
        runDate: now,
        lowerBound,
        overlapMinutes: settings.EXTRACT_OVERLAP_MINUTES,
        safetyLagSeconds: settings.EXTRACT_SAFETY_LAG_SECONDS,
        limits: { maxRows: settings.EXTRACT_PART_MAX_ROWS, maxBytes: settings.EXTRACT_PART_MAX_BYTES },
        fixedWindow: opts.window,
        openTransactions,
      }),
    );
    const cap = result.cap;
    const lateRows = opts.window ? null : lateRowsAtLeast(previousTail, result.overlapRows);
    await recordBatch(dw.db, runId, {
      entity: def.name,
      manifestPath: result.manifestPath,
      manifestSha256: result.manifestSha256,
      rowCount: result.manifest.rowCount,
      partCount: result.manifest.parts.length,
      window: result.window,
      check: {
        cap: cap.status,
        oldestOpenTransaction: cap.oldestOpenTransaction,
        heldBackMs: cap.heldBackMs,
        overlapRows: result.overlapRows,
        tailRows: result.tailRows,
        lateRows,
      },
    });
    await finishStep(dw.db, runId, 'extract', def.name, 'succeeded', { rows_read: result.manifest.rowCount });
    stepCompleted(ctx, run, { step: 'extract', entity: def.name, rowsRead: result.manifest.rowCount, durationMs: Math.round(performance.now() - started) });
    const entityCap: EntityCapReport = {
      cap: cap.status,
      oldestOpenTransaction: cap.oldestOpenTransaction?.toISOString() ?? null,
      heldBackMinutes: Math.round(cap.heldBackMs / 6000) / 10,
      ...(cap.reason ? { reason: cap.reason } : {}),
      overlapRows: result.overlapRows,
      tailRows: result.tailRows,
      lateRows,
    };
    let late: string | undefined;
    if (lateRows !== null && lateRows > 0) {
      // rows the open-transaction cap cannot protect: updated_at set in the past by application
      // code, or clock skew. These were still inside the overlap; older ones would not be.
      late =
        `${def.name}: at least ${lateRows} row(s) committed after the previous extract with updated_at at or below its window's end ` +
        `(${lowerBound!.toISOString()}); re-read by the ${settings.EXTRACT_OVERLAP_MINUTES}-minute overlap, but a row backdated further ` +
        `would be missed: backfill its window if the source backdates updated_at`;
      log.warn('late rows below the previous window end', { runId, entity: def.name, lateRows, watermark: lowerBound!.toISOString(), metric: 'lateRows' });
    }
    const capUnavailable =
      cap.status === 'unavailable'
        ? `late-commit cap unavailable, the window relies on the ${settings.EXTRACT_OVERLAP_MINUTES}-minute overlap only: ${cap.reason}`
        : undefined;
    let heldBack: string | undefined;
    if (heldBackTooLong(cap, settings.EXTRACT_OPEN_TRANSACTION_WARN_MINUTES)) {
      heldBack =
        `${def.name}: a source transaction open since ${cap.oldestOpenTransaction!.toISOString()} holds the window back by ` +
        `${entityCap.heldBackMinutes} min (more than EXTRACT_OPEN_TRANSACTION_WARN_MINUTES=${settings.EXTRACT_OPEN_TRANSACTION_WARN_MINUTES}); ` +
        `nothing is lost, its rows are read once it ends`;
      log.warn('open source transaction holds the extract window back', {
        runId,
        entity: def.name,
        oldestOpenTransaction: cap.oldestOpenTransaction!.toISOString(),
        heldBackMinutes: entityCap.heldBackMinutes,
        warnMinutes: settings.EXTRACT_OPEN_TRANSACTION_WARN_MINUTES,
      });
    }
    log.info('entity extracted', {
      runId,
      entity: def.name,
      rows: result.manifest.rowCount,
      parts: result.manifest.parts.length,
      windowFrom: result.window.from?.toISOString() ?? null,
      windowTo: result.window.to.toISOString(),
      cap: cap.status,
      heldBackMinutes: entityCap.heldBackMinutes,
      overlapRows: result.overlapRows,
      tailRows: result.tailRows,
      ms: Math.round(performance.now() - started),
    });
    return { batch: { entity: def.name, manifestPath: result.manifestPath }, rows: result.manifest.rowCount, cap: entityCap, late, capUnavailable, heldBack };
  };

  /** The run's warnings from the entities extracted so far, in entity order; a missing cap is said once. */
  const runWarnings = (): string[] => {
    const warnings: string[] = [];
    for (const x of extracted) {
      if (!x) continue;
      if (x.late) warnings.push(x.late);
      if (x.capUnavailable && !warnings.some((w) => w.startsWith('late-commit cap unavailable'))) {
        // once per run: every entity of the run reads the same source with the same login
        warnings.push(x.capUnavailable);
        log.warn(x.capUnavailable, { runId, entity: x.batch.entity });
      }
      if (x.heldBack) warnings.push(x.heldBack);
    }
    return warnings;
  };

  try {
    await ctx.store.ensureContainer();
    // The source's open transactions, read once before any entity's snapshot starts: valid for
    // each of them (extract.ts says why it must be before), and blind to this run's own snapshot
    // transactions, which would otherwise hold each other's windows back. A backfill needs none.
    const openTransactions = opts.window ? undefined : await retryStep(ctx, { runId, kind, step: 'extract' }, () => readOpenTransactions(ctx.oltp.db));
    const watermarks = new Map<string, Date | null>();
    for (const def of defs) watermarks.set(def.name, await readWatermark(dw.db, def.name));
    // On pools a few entities extract at once: each has its own snapshot, window and batch, and
    // much of an entity's time is round trips to Blob storage. A first load (an entity without a
    // watermark) or a backfill reads whole tables or wide windows: one entity at a time, so the
    // extract holds one entity's parts in memory. PGlite has one connection: one at a time.
    // After a failure no further entity starts; those under way finish.
    const sideBySide = onPools(dw.db, ctx.oltp.db) && !opts.window && [...watermarks.values()].every((w) => w !== null);
    await runBounded(defs, sideBySide ? settings.EXTRACT_CONCURRENCY : 1, async (def) => {
      if (failed) return;
      try {
        extracted[defs.indexOf(def)] = await extractOne(def, watermarks.get(def.name) ?? null, openTransactions);
      } catch (e) {
        failed ??= def.name;
        log.error('extract failed', { runId, entity: def.name, error: errorText(e) });
        await finishStep(dw.db, runId, 'extract', def.name, 'failed', {}, e).catch(() => undefined);
        throw e;
      }
    });
    const done = extracted.filter((x): x is ExtractedEntity => x !== undefined);
    const batches = done.map((x) => x.batch);
    const rows = Object.fromEntries(done.map((x) => [x.batch.entity, x.rows]));
    const caps = Object.fromEntries(done.map((x) => [x.batch.entity, x.cap]));
    warnings = runWarnings();
    await recordRunWarnings(dw.db, runId, warnings);
    const message: LoadMessage = { runId, kind, batches };
    // the queue hop starts with a full lease (the dimension load's heartbeat takes over from there)
    if (!(await extendLease(dw.db, holder, settings.RUN_LEASE_MINUTES))) throw new LeaseLostError(runId, null);
    if (holder !== runId) await returnClaim(dw.db, runId, holder, settings.RUN_LEASE_MINUTES);
    await ctx.queues.send(QUEUES.dimensions, message);
    return { status: 'started', runId, batches, rows, caps, warnings };
  } catch (e) {
    if (!failed) log.error('extract failed', { runId, error: errorText(e) });
    warnings ??= runWarnings();
    if (warnings.length > 0) await recordRunWarnings(dw.db, runId, warnings).catch(() => undefined);
    await finishRun(dw.db, runId, 'failed', e).catch(() => undefined);
    await releaseLease(dw.db, holder).catch(() => undefined);
    // an extract that failed (after its in-process retries) is final: the run is failed and the lease free
    await runFailed(ctx, run, { step: 'extract', entity: failed, error: e, reason: 'the extract failed; the next trigger starts a new run' });
    throw e;
  } finally {
    await heartbeat.stop();
  }
}
