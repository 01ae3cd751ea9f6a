// The run report in the warehouse (etl.run, etl.run_step, etl.batch): every run leaves its rows,
// also when it fails. They are written outside the load transactions so a rollback never erases
// them. Every write to these tables is here; readers are in run-report.ts.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import type { ExtractWindow, WindowCap } from './extract-window.js';

export type RunKind = 'daily' | 'backfill';
export type Step = 'extract' | 'dimensions' | 'facts';
export type Status = 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StepCounts {
  rows_read?: number;
  rows_loaded?: number;
  rows_rejected?: number;
  rows_inserted?: number;
  rows_updated?: number;
  rows_unchanged?: number;
}

const MAX_ERROR = 4000;
export const errorText = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, MAX_ERROR);

export function newRunId(now = new Date()): string {
  // sortable by time, unique enough across triggers: 20261129T030000123Z-1a2b3c
  return `${now.toISOString().replace(/[-:.]/g, '')}-${Math.random().toString(16).slice(2, 8)}`;
}

export async function startRun(
  db: Kysely<WarehouseTables>,
  run: { runId: string; kind: RunKind; requestedBy?: string; window?: ExtractWindow },
): Promise<void> {
  await db
    .insertInto('etl.run')
    .values({
      run_id: run.runId,
      kind: run.kind,
      status: 'running',
      started_at: new Date(),
      window_from: run.window?.from ?? null,
      window_to: run.window?.to ?? null,
      requested_by: run.requestedBy ?? null,
    })
    .execute();
}

export async function finishRun(
  db: Kysely<WarehouseTables>,
  runId: string,
  status: Exclude<Status, 'running'>,
  error?: unknown,
  report?: unknown,
): Promise<void> {
  await db
    .updateTable('etl.run')
    .set({
      status,
      finished_at: new Date(),
      error: error === undefined ? null : errorText(error),
      report: report === undefined ? null : JSON.stringify(report),
    })
    .where('run_id', '=', runId)
    .execute();
}

/** A load step picks the run up again (a retried message after a failure): running, no error. */
export async function resumeRun(db: Kysely<WarehouseTables>, runId: string): Promise<void> {
  await db.updateTable('etl.run').set({ status: 'running', error: null, finished_at: null }).where('run_id', '=', runId).execute();
}

/** Starts (or restarts, on a retried message) one step of one entity. */
export async function startStep(db: Kysely<WarehouseTables>, runId: string, step: Step, entity: string, window?: ExtractWindow): Promise<void> {
  const values = {
    status: 'running',
    started_at: new Date(),
    finished_at: null,
    window_from: window?.from ?? null,
    window_to: window?.to ?? null,
    rows_read: 0,
    rows_loaded: 0,
    rows_rejected: 0,
    rows_inserted: 0,
    rows_updated: 0,
    rows_unchanged: 0,
    error: null,
  };
  const updated = await db
    .updateTable('etl.run_step')
    .set(values)
    .where('run_id', '=', runId)
    .where('step', '=', step)
    .where('entity', '=', entity)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0)
    await db
      .insertInto('etl.run_step')
      .values({ run_id: runId, step, entity, ...values })
      .execute();
}

export async function finishStep(
  db: Kysely<WarehouseTables>,
  runId: string,
  step: Step,
  entity: string,
  status: 'succeeded' | 'failed',
  counts: StepCounts,
  error?: unknown,
): Promise<void> {
  await db
    .updateTable('etl.run_step')
    .set({ status, finished_at: new Date(), ...counts, error: error === undefined ? null : errorText(error) })
    .where('run_id', '=', runId)
    .where('step', '=', step)
    .where('entity', '=', entity)
    .execute();
}

/** How the open-transaction cap shaped a batch's window, and the counts of the late-row check (extract-window.ts lateRowsAtLeast). */
export interface LateCommitCheck {
  cap: WindowCap['status'];
  oldestOpenTransaction: Date | null;
  heldBackMs: number;
  /** rows read at or below the watermark (the overlap re-read) */
  overlapRows: number;
  /** rows read in the window's last overlap: what the next run's overlapRows is compared with */
  tailRows: number;
  /** at least this many rows committed below the previous window's end (null: nothing to compare) */
  lateRows: number | null;
}

/**
 * An extracted batch: its etl.batch row, and its window on the entity's extract step (known only
 * once the source clock was read). Without `check` its late-commit columns stay null.
 */
export async function recordBatch(
  db: Kysely<WarehouseTables>,
  runId: string,
  batch: { entity: string; manifestPath: string; manifestSha256: string; rowCount: number; partCount: number; window: ExtractWindow; check?: LateCommitCheck },
): Promise<void> {
  await db
    .insertInto('etl.batch')
    .values({
      run_id: runId,
      entity: batch.entity,
      manifest_path: batch.manifestPath,
      manifest_sha256: batch.manifestSha256,
      row_count: batch.rowCount,
      part_count: batch.partCount,
      window_from: batch.window.from,
      window_to: batch.window.to,
      cap_status: batch.check?.cap ?? null,
      oldest_open_transaction: batch.check?.oldestOpenTransaction ?? null,
      held_back_ms: batch.check?.heldBackMs ?? null,
      overlap_rows: batch.check?.overlapRows ?? null,
      tail_rows: batch.check?.tailRows ?? null,
      late_rows: batch.check?.lateRows ?? null,
    })
    .execute();
  await db
    .updateTable('etl.run_step')
    .set({ window_from: batch.window.from, window_to: batch.window.to })
    .where('run_id', '=', runId)
    .where('step', '=', 'extract')
    .where('entity', '=', batch.entity)
    .execute();
}

/**
 * The tail count of the batch whose load set the entity's watermark (its window ends at the
 * watermark): what this run's overlap re-read is compared with. Null when there is none (first
 * run, a batch recorded before the counts were kept).
 */
export async function previousTailRows(db: Kysely<WarehouseTables>, entity: string): Promise<number | null> {
  const row = await db
    .selectFrom('etl.watermark as w')
    .innerJoin('etl.batch as b', (j) => j.onRef('b.run_id', '=', 'w.run_id').onRef('b.entity', '=', 'w.entity').onRef('b.window_to', '=', 'w.high_water'))
    .select('b.tail_rows')
    .where('w.entity', '=', entity)
    .executeTakeFirst();
  return row?.tail_rows === null || row?.tail_rows === undefined ? null : Number(row.tail_rows);
}

/** The run's warnings (late-commit cap unavailable, a window held back, late rows), stored as the extract finds them so a run that fails later keeps them. */
export async function recordRunWarnings(db: Kysely<WarehouseTables>, runId: string, warnings: readonly string[]): Promise<void> {
  await db
    .updateTable('etl.run')
    .set({ warnings: warnings.length === 0 ? null : JSON.stringify(warnings) })
    .where('run_id', '=', runId)
    .execute();
}

/** Facts of an entity's step re-keyed to members that arrived later (counted after the step finished). */
export async function recordRekeyed(db: Kysely<WarehouseTables>, runId: string, step: Step, entity: string, rows: number): Promise<void> {
  await db.updateTable('etl.run_step').set({ rows_rekeyed: rows }).where('run_id', '=', runId).where('step', '=', step).where('entity', '=', entity).execute();
}

/**
 * A run found dead (its lease expired without a heartbeat) or given up (its message's last
 * attempt, a permanent error): marked failed with the reason, with its unfinished steps. A run
 * already finished keeps its status; one already failed by its last attempt keeps its error.
 */
export async function abandonRun(db: Kysely<WarehouseTables>, runId: string, reason: string, now = new Date()): Promise<void> {
  const error = reason.slice(0, MAX_ERROR);
  await db.updateTable('etl.run_step').set({ status: 'failed', finished_at: now, error }).where('run_id', '=', runId).where('status', '=', 'running').execute();
  await db.updateTable('etl.run').set({ status: 'failed', finished_at: now, error }).where('run_id', '=', runId).where('status', '=', 'running').execute();
}

export interface RunState {
  kind: string;
  status: string;
  steps: { step: string; entity: string; status: string }[];
  batches: { entity: string; manifest_path: string; manifest_sha256: string }[];
}

/** What a load step checks before honouring a message: the run, its steps and its recorded batches (null: no such run). */
export async function readRunState(db: Kysely<WarehouseTables>, runId: string): Promise<RunState | null> {
  const run = await db.selectFrom('etl.run').select(['kind', 'status']).where('run_id', '=', runId).executeTakeFirst();
  if (!run) return null;
  const steps = await db.selectFrom('etl.run_step').select(['step', 'entity', 'status']).where('run_id', '=', runId).execute();
  const batches = await db.selectFrom('etl.batch').select(['entity', 'manifest_path', 'manifest_sha256']).where('run_id', '=', runId).execute();
  return { kind: run.kind, status: run.status, steps, batches };
}
