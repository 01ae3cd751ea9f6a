// A run as the warehouse recorded it (etl.run + etl.run_step + its quality results), for the
// pipeline command, the runs API and logs.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import { firstRows } from '../db/portable-sql.js';
import { runResults, type StoredResult } from '../quality/history.js';
import { formatQualityLines } from '../quality/report.js';
import { BadRequestError } from './bad-request.js';

export interface RunSummary {
  runId: string;
  kind: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

/** What an extract step's batch says about late commits (etl.batch; see extract-window.ts). */
export interface LateCommitReport {
  /** how the open-transaction cap shaped the window: 'none', 'open-transaction' (it ended it earlier), 'unavailable' (overlap only), 'backfill' */
  cap: string | null;
  oldestOpenTransaction: string | null;
  heldBackMinutes: number | null;
  /** rows re-read at or below the watermark */
  overlapRows: number | null;
  /** rows in the window's last overlap (the next run compares with this) */
  tailRows: number | null;
  /** at least this many rows committed below the previous window's end (null: nothing to compare) */
  lateRows: number | null;
}

export interface RunReport extends RunSummary {
  /** the run's warnings: late-commit cap unavailable, a window held back by an open transaction, late rows */
  warnings: string[];
  steps: {
    step: string;
    entity: string;
    status: string;
    windowFrom: string | null;
    windowTo: string | null;
    read: number;
    loaded: number;
    rejected: number;
    inserted: number;
    updated: number;
    unchanged: number;
    rekeyed: number;
    ms: number | null;
    error: string | null;
    /** extract steps with a batch only */
    lateCommits?: LateCommitReport;
  }[];
  /** every quality check the run ran (etl.quality_result), in the order they ran */
  quality: StoredResult[];
}

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

export async function readRunReport(db: Kysely<WarehouseTables>, runId: string): Promise<RunReport | null> {
  const run = await db.selectFrom('etl.run').selectAll().where('run_id', '=', runId).executeTakeFirst();
  if (!run) return null;
  const steps = await db.selectFrom('etl.run_step').selectAll().where('run_id', '=', runId).orderBy('started_at').orderBy('step').orderBy('entity').execute();
  const batches = await db
    .selectFrom('etl.batch')
    .select(['entity', 'cap_status', 'oldest_open_transaction', 'held_back_ms', 'overlap_rows', 'tail_rows', 'late_rows'])
    .where('run_id', '=', runId)
    .execute();
  const checks = new Map(
    batches.map((b): [string, LateCommitReport] => [
      b.entity,
      {
        cap: b.cap_status,
        oldestOpenTransaction: iso(b.oldest_open_transaction),
        heldBackMinutes: b.held_back_ms == null ? null : Math.round(Number(b.held_back_ms) / 6000) / 10,
        overlapRows: count(b.overlap_rows),
        tailRows: count(b.tail_rows),
        lateRows: count(b.late_rows),
      },
    ]),
  );
  return {
    runId,
    kind: run.kind,
    status: run.status,
    startedAt: iso(run.started_at)!,
    finishedAt: iso(run.finished_at),
    error: run.error,
    warnings: parseWarnings(run.warnings),
    steps: steps.map((s) => ({
      step: s.step,
      entity: s.entity,
      status: s.status,
      windowFrom: iso(s.window_from),
      windowTo: iso(s.window_to),
      read: Number(s.rows_read),
      loaded: Number(s.rows_loaded),
      rejected: Number(s.rows_rejected),
      inserted: Number(s.rows_inserted),
      updated: Number(s.rows_updated),
      unchanged: Number(s.rows_unchanged),
      rekeyed: Number(s.rows_rekeyed ?? 0),
      ms: s.finished_at ? new Date(s.finished_at).getTime() - new Date(s.started_at).getTime() : null,
      error: s.error,
      ...(s.step === 'extract' && checks.has(s.entity) ? { lateCommits: checks.get(s.entity)! } : {}),
    })),
    quality: await runResults(db, runId),
  };
}

// (== null: a batch or run recorded before migration 0005 reads as null)
const count = (v: string | number | bigint | null | undefined) => (v == null ? null : Number(v));

/** etl.run.warnings: a JSON array of strings, or null (none, or a run recorded before warnings were kept). */
function parseWarnings(text: string | null | undefined): string[] {
  if (text == null) return [];
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

export const RUNS_LIMIT = { default: 20, max: 200 } as const;

/** The `limit` query parameter of GET /api/runs: absent = 20, else a whole number 1..200. Throws BadRequestError. */
export function parseRunsLimit(raw: string | null): number {
  if (raw === null || raw.trim() === '') return RUNS_LIMIT.default;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > RUNS_LIMIT.max) {
    throw new BadRequestError(`limit must be a whole number from 1 to ${RUNS_LIMIT.max}; got '${raw.slice(0, 20)}'`);
  }
  return n;
}

/** The latest runs, newest first. */
export async function listRuns(db: Kysely<WarehouseTables>, limit: number): Promise<RunSummary[]> {
  const q = db
    .selectFrom('etl.run')
    .select(['run_id', 'kind', 'status', 'started_at', 'finished_at', 'error'])
    .orderBy('started_at', 'desc')
    .orderBy('run_id', 'desc');
  const rows = await firstRows(db, q, limit).execute();
  return rows.map((r) => ({ runId: r.run_id, kind: r.kind, status: r.status, startedAt: iso(r.started_at)!, finishedAt: iso(r.finished_at), error: r.error }));
}

export function formatRunReport(r: RunReport): string {
  const head = ['step', 'entity', 'status', 'window from', 'window to', 'read', 'loaded', 'rejected', 'ins', 'upd', 'same', 'rekeyed', 'ms'];
  const rows = r.steps.map((s) => [
    s.step,
    s.entity,
    s.status,
    s.windowFrom ?? '(start)',
    s.windowTo ?? '',
    String(s.read),
    s.step === 'extract' ? '' : String(s.loaded),
    String(s.rejected),
    s.step === 'extract' ? '' : String(s.inserted),
    s.step === 'extract' ? '' : String(s.updated),
    s.step === 'extract' ? '' : String(s.unchanged),
    s.step === 'facts' ? String(s.rekeyed) : '',
    String(s.ms ?? ''),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const out = [
    `run ${r.runId} (${r.kind}): ${r.status}, started ${r.startedAt}${r.finishedAt ? `, finished ${r.finishedAt}` : ''}`,
    line(head),
    ...rows.map(line),
  ];
  // entities whose window an open source transaction ended early, or that saw late rows (the cap unavailable is one warning below)
  const late = r.steps.filter((s) => s.lateCommits && (s.lateCommits.cap === 'open-transaction' || (s.lateCommits.lateRows ?? 0) > 0));
  if (late.length > 0) {
    out.push('late commits (extract):');
    for (const s of late) {
      const c = s.lateCommits!;
      const held =
        c.cap === 'open-transaction' ? `window held back ${c.heldBackMinutes} min by a source transaction open since ${c.oldestOpenTransaction}; ` : '';
      out.push(`  ${s.entity}: ${held}overlap re-read ${c.overlapRows ?? 'n/a'} rows, late rows ${c.lateRows === null ? 'n/a' : `at least ${c.lateRows}`}`);
    }
  }
  out.push(...formatQualityLines(r.quality));
  for (const w of r.warnings) out.push(`warning: ${w}`);
  if (r.error) out.push(`error: ${r.error}`);
  for (const s of r.steps.filter((x) => x.error)) out.push(`${s.step}/${s.entity}: ${s.error}`);
  return out.join('\n');
}
