// daily_volume: the rows a daily run loaded (Σ etl.run_step.rows_loaded over its steps, the rows
// its dimension and fact loads accepted) against the median of the daily runs that succeeded in
// the BASELINE_DAYS before it. A source that stopped writing, an extract window that went wrong
// or a duplicated feed shows up here first. The median, not the mean: one backlog day does not
// move it. Fewer than MIN_BASELINE_RUNS earlier runs are no baseline: the check passes and says so.
import type { Kysely } from 'kysely';
import { firstRows } from '../db/portable-sql.js';
import type { WarehouseTables } from '../db/schema/index.js';
import { sampleKey, type CheckInput, type CheckOutcome, type QualityCheck } from './check.js';

export const BASELINE_DAYS = 28;
export const MIN_BASELINE_RUNS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Runs with the rows their steps loaded. */
const runTotals = (db: Kysely<WarehouseTables>) =>
  db
    .selectFrom('etl.run as r')
    .leftJoin('etl.run_step as s', 's.run_id', 'r.run_id')
    .groupBy(['r.run_id', 'r.kind', 'r.started_at'])
    .select((eb) => ['r.run_id', 'r.kind', 'r.started_at', eb.fn.coalesce(eb.fn.sum<number | string>('s.rows_loaded'), eb.lit(0)).as('loaded')]);

const succeededDaily = (db: Kysely<WarehouseTables>) => runTotals(db).where('r.kind', '=', 'daily').where('r.status', '=', 'succeeded');

/** The run measured: the given one, or the newest daily run that succeeded. */
const measuredRun = (db: Kysely<WarehouseTables>, runId: string | undefined) =>
  runId !== undefined
    ? runTotals(db).where('r.run_id', '=', runId)
    : firstRows(db, succeededDaily(db).orderBy('r.started_at', 'desc').orderBy('r.run_id', 'desc'), 1);

/** The daily runs that succeeded in the BASELINE_DAYS before the measured run started. */
const baselineRuns = (db: Kysely<WarehouseTables>, run: { run_id: string; started_at: Date }) =>
  succeededDaily(db)
    .where('r.started_at', '>=', new Date(run.started_at.getTime() - BASELINE_DAYS * DAY_MS))
    .where('r.started_at', '<', run.started_at)
    .where('r.run_id', '<>', run.run_id);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** |loaded - median| as a percentage of the median (a run loading rows against a zero median: Infinity). */
export function deviationPercent(loaded: number, baseline: number): number {
  if (baseline === 0) return loaded === 0 ? 0 : Infinity;
  return (100 * Math.abs(loaded - baseline)) / baseline;
}

const passed = (observed: string, expected: string): CheckOutcome => ({ failing: 0, observed, expected, samples: [] });

export const DAILY_VOLUME: QualityCheck = {
  name: 'daily_volume',
  severity: 'warning',
  phase: 'warehouse',
  description:
    `rows loaded by the daily run (Σ etl.run_step.rows_loaded) within QUALITY_VOLUME_DEVIATION_WARN_PERCENT of the median of the daily runs ` +
    `that succeeded in the ${BASELINE_DAYS} days before it (no baseline below ${MIN_BASELINE_RUNS} such runs)`,
  async run(input: CheckInput): Promise<CheckOutcome> {
    const percent = input.settings.QUALITY_VOLUME_DEVIATION_WARN_PERCENT;
    const expected = `within ${percent}% of the median of the daily runs of the ${BASELINE_DAYS} days before`;
    const run = await measuredRun(input.dw, input.runId).executeTakeFirst();
    if (!run) {
      if (input.runId !== undefined) throw new Error(`daily_volume: run ${input.runId} is not in etl.run`);
      return passed('no daily run has succeeded yet: nothing to measure', expected);
    }
    const loaded = Number(run.loaded);
    if (run.kind !== 'daily') return passed(`run ${run.run_id} is a ${run.kind} run (${loaded} rows loaded): only daily runs are compared`, expected);
    const baseline = (await baselineRuns(input.dw, { run_id: run.run_id, started_at: new Date(run.started_at) }).execute()).map((r) => Number(r.loaded));
    if (baseline.length < MIN_BASELINE_RUNS)
      return passed(
        `${loaded} rows loaded by run ${run.run_id}; no baseline: ${baseline.length} daily runs in the ${BASELINE_DAYS} days before (${MIN_BASELINE_RUNS} needed)`,
        expected,
      );
    const typical = median(baseline);
    const deviation = deviationPercent(loaded, typical);
    const off = deviation > percent;
    return {
      failing: off ? 1 : 0,
      observed: `${loaded} rows loaded by run ${run.run_id} vs a median of ${typical} over ${baseline.length} daily runs (${loaded < typical ? '-' : '+'}${deviation.toFixed(1)}%)`,
      expected,
      samples: off ? [sampleKey({ run_id: run.run_id, rows_loaded: loaded, median: typical, baseline_runs: baseline.length })] : [],
    };
  },
  queries: (db) => [measuredRun(db, 'run-id'), measuredRun(db, undefined), baselineRuns(db, { run_id: 'run-id', started_at: new Date(0) })],
};
