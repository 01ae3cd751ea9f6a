// One measured unit of `npm run bench`, in a process of its own so that its peak RSS is its own.
// The parent (bench.ts) passes the job as JSON in BENCH_JOB and the databases and storage in the
// usual settings (OLTP_CONNECTION_STRING, DW_CONNECTION_STRING, AzureWebJobsStorage, ...); the
// last stdout line is `BENCH-RESULT <json>`: what the unit measured, its inner time (ms, without
// process start-up) and the process's peak RSS.
//   seed         the OLTP at a scale (deterministic seed and as-of)
//   migrate      a fresh warehouse migrated (before the timed loads, for the pipeline's and the ideal's alike)
//   pipeline     one run of the real pipeline (runPipelineOnce: timer, queues, the same code as `npm run pipeline`);
//                `checks: false`: with no quality check (contextSeams), to price the checks
//   ideal        the SQL-only ideal into a fresh warehouse (ideal.ts)
//   identity     two warehouses compared (identity.ts)
//   row-by-row   the one-statement-per-row baseline over a sample (row-by-row.ts)
//   incremental  one incremental day applied to the source (shared/seed/incremental.ts)
//   kpi          the KPI API's requests for the last year of certified data, timed (kpi.ts)
import { readClock } from '../../shared/db/portable-sql.js';
import { closeAllDatabases, getWarehouseDatabase } from '../../shared/db/connections.js';
import { seedBase } from '../../shared/seed/base.js';
import { describeChanges, runIncrementalDay } from '../../shared/seed/incremental.js';
import { openMigrated } from '../cli.js';
import { contextSeams } from '../../shared/pipeline/runtime.js';
import { runPipelineOnce } from '../pipeline.js';
import { compareWarehouses } from './identity.js';
import { timeKpiApi } from './kpi.js';
import { loadIdeal } from './ideal.js';
import { rowByRow } from './row-by-row.js';
import { openSession } from './sql-session.js';

export type BenchJob =
  | { unit: 'seed'; scale: number; seed: number; asOf: string }
  | { unit: 'migrate' }
  | { unit: 'pipeline'; checks?: false }
  | { unit: 'ideal'; today: string }
  | { unit: 'identity'; a: string; b: string }
  | { unit: 'row-by-row'; sample: number }
  | { unit: 'kpi'; reps: number }
  | { unit: 'incremental'; at: 'end-of-yesterday' | 'now'; seed: number; /** the order count the day is sized for (the smallest scale's) */ sizedFor: number };

const log = (line: string) => process.stderr.write(line + '\n');

async function run(job: BenchJob): Promise<Record<string, unknown>> {
  const oltp = process.env.OLTP_CONNECTION_STRING!;
  const dw = process.env.DW_CONNECTION_STRING!;
  switch (job.unit) {
    case 'seed': {
      const database = await openMigrated('oltp');
      try {
        const started = performance.now();
        const counts = await seedBase(database, { scale: job.scale, seed: job.seed, asOf: new Date(`${job.asOf}T00:00:00.000Z`), log });
        return { ms: performance.now() - started, counts };
      } finally {
        await database.close();
      }
    }
    case 'migrate': {
      const started = performance.now();
      await (await openMigrated('dw')).close();
      return { ms: performance.now() - started };
    }
    case 'pipeline': {
      if (job.checks === false) contextSeams.qualityChecks = [];
      const started = performance.now();
      try {
        const report = await runPipelineOnce((line) => {
          if (!/\] information: /.test(line)) log(line);
        });
        const ms = performance.now() - started;
        // the whole-warehouse gate's elapsed time (its checks run at once on a pool): etl.run.report.quality.ms
        const dw = await getWarehouseDatabase();
        const stored = await dw.db.selectFrom('etl.run').select('report').where('run_id', '=', report.runId).executeTakeFirst();
        const gateMs = (JSON.parse(stored?.report ?? 'null') as { quality?: { ms?: number } } | null)?.quality?.ms;
        return { ms, report, ...(gateMs === undefined ? {} : { warehouseGateMs: gateMs }) };
      } finally {
        await closeAllDatabases();
      }
    }
    case 'ideal': {
      // the warehouse was migrated beforehand (unit 'migrate'), as the pipeline's was
      const started = performance.now();
      const [source, target] = [await openSession(oltp), await openSession(dw)];
      try {
        const counts = await loadIdeal(source, target, 'bench-ideal', job.today);
        return { ms: performance.now() - started, ...counts };
      } finally {
        await source.close();
        await target.close();
      }
    }
    case 'identity': {
      const [a, b] = [await openSession(job.a), await openSession(job.b)];
      try {
        const started = performance.now();
        const result = await compareWarehouses(a, b);
        return { ms: performance.now() - started, ...result };
      } finally {
        await a.close();
        await b.close();
      }
    }
    case 'row-by-row': {
      const [source, target] = [await openSession(oltp), await openSession(dw)];
      try {
        return { ...(await rowByRow(source, target, job.sample, 'bench-row-by-row')) };
      } finally {
        await source.close();
        await target.close();
      }
    }
    case 'kpi': {
      const database = await openMigrated('dw');
      try {
        const started = performance.now();
        const timings = await timeKpiApi(database.db, job.reps);
        return { ms: performance.now() - started, ...timings };
      } finally {
        await database.close();
      }
    }
    case 'incremental': {
      const database = await openMigrated('oltp');
      try {
        // the day's rows must lie inside the next daily run's window, which ends at the source's clock
        const clock = await readClock(database.db);
        const at =
          job.at === 'now' ? new Date(clock.getTime() - 90_000) : new Date(Date.parse(clock.toISOString().slice(0, 10) + 'T00:00:00.000Z') - 3_600_000);
        const started = performance.now();
        const { plan, changes } = await runIncrementalDay(database, { at, seed: job.seed, sizedFor: job.sizedFor });
        const rows = Object.values(changes).reduce((n, c) => n + c.inserted.length + c.updated.length, 0);
        return { ms: performance.now() - started, at: plan.at, windowStart: plan.windowStart, changedRows: rows, changes: describeChanges(changes) };
      } finally {
        await database.close();
      }
    }
  }
}

const job = JSON.parse(process.env.BENCH_JOB ?? 'null') as BenchJob | null;
if (!job) throw new Error('BENCH_JOB is not set: this is a child of `npm run bench`');
let code = 0;
try {
  const result = await run(job);
  const rss = process.resourceUsage().maxRSS; // kilobytes
  console.log(`BENCH-RESULT ${JSON.stringify({ ...result, peakRssMB: Math.round(rss / 1024) })}`);
} catch (e) {
  console.log(`BENCH-ERROR ${JSON.stringify(e instanceof Error ? (e.stack ?? e.message) : String(e))}`);
  code = 1;
}
process.exit(code);
