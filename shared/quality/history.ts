// The quality history (etl.quality_result): appended by the pipeline and `npm run dw:check`,
// never updated or deleted, read by GET /api/runs/{id}, GET /api/quality and the run report.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { firstRows } from '../db/portable-sql.js';
import type { WarehouseTables } from '../db/schema/index.js';
import type { CheckResult, CheckStatus, Phase, Severity } from './check.js';

export interface StoredResult extends CheckResult {
  readonly runId: string | null;
  readonly checkedAt: string;
}

export async function recordResults(db: Kysely<WarehouseTables>, runId: string | null, results: readonly CheckResult[], now = new Date()): Promise<void> {
  if (results.length === 0) return;
  // one statement: a catalogue's results are a few dozen rows of 12 parameters, far below SQL Server's 2,100
  await db
    .insertInto('etl.quality_result')
    .values(
      results.map((r) => ({
        result_id: randomUUID(),
        run_id: runId,
        phase: r.phase,
        check_name: r.name,
        severity: r.severity,
        status: r.status,
        failing: r.failing,
        observed: r.observed,
        expected: r.expected,
        samples: JSON.stringify(r.samples),
        duration_ms: r.ms,
        checked_at: now,
      })),
    )
    .execute();
}

function toResult(row: {
  run_id: string | null;
  phase: string;
  check_name: string;
  severity: string;
  status: string;
  failing: number | string;
  observed: string;
  expected: string;
  samples: string;
  duration_ms: number;
  checked_at: Date;
}): StoredResult {
  return {
    runId: row.run_id,
    name: row.check_name,
    phase: row.phase as Phase,
    severity: row.severity as Severity,
    status: row.status as CheckStatus,
    failing: Number(row.failing),
    observed: row.observed,
    expected: row.expected,
    samples: JSON.parse(row.samples) as string[],
    ms: row.duration_ms,
    checkedAt: row.checked_at.toISOString(),
  };
}

const COLUMNS = ['run_id', 'phase', 'check_name', 'severity', 'status', 'failing', 'observed', 'expected', 'samples', 'duration_ms', 'checked_at'] as const;

/** A run's results in the order they were checked. */
export async function runResults(db: Kysely<WarehouseTables>, runId: string): Promise<StoredResult[]> {
  const rows = await db.selectFrom('etl.quality_result').select(COLUMNS).where('run_id', '=', runId).orderBy('checked_at').orderBy('result_id').execute();
  return rows.map(toResult);
}

/** The newest results first, optionally of one check. */
export async function recentResults(db: Kysely<WarehouseTables>, opts: { limit: number; check?: string }): Promise<StoredResult[]> {
  let q = db.selectFrom('etl.quality_result').select(COLUMNS).orderBy('checked_at', 'desc').orderBy('check_name').orderBy('result_id');
  if (opts.check) q = q.where('check_name', '=', opts.check);
  return (await firstRows(db, q, opts.limit).execute()).map(toResult);
}
