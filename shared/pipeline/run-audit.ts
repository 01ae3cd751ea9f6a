// The run report in the warehouse (etl.run, etl.run_step): every run leaves its rows, also when
// it fails. Steps are written outside the load transactions so a rollback never erases them.
import type { Kysely } from 'kysely';

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
  db: Kysely<any>,
  run: { runId: string; kind: RunKind; requestedBy?: string; window?: { from: Date | null; to: Date } },
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

export async function finishRun(db: Kysely<any>, runId: string, status: Exclude<Status, 'running'>, error?: unknown, report?: unknown): Promise<void> {
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

/** Starts (or restarts, on a retried message) one step of one entity. */
export async function startStep(db: Kysely<any>, runId: string, step: Step, entity: string, window?: { from: Date | null; to: Date }): Promise<void> {
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
  db: Kysely<any>,
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
