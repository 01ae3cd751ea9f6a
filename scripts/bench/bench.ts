// npm run bench -- [--engine postgres|pglite] [--scales 5,10] [--rounds 3] [--sample 2000] [--out path.json]
//
// The instrument of the performance issue: per scale, it seeds the OLTP once (deterministic seed,
// fixed --as-of), then runs rounds, each on a fresh copy of that source:
//   (a) the pipeline's full load into a fresh warehouse (the real pipeline: timer, queues, Blob,
//       the same code `npm run pipeline` runs) and (b) the SQL-only ideal (ideal.ts) into another,
//       in alternating order; then both warehouses must be identical (identity.ts);
//   (a') on the pipeline's warehouse, right after its full load: the KPI API's requests for the
//       last year of certified data (kpi.ts), a few repetitions per area;
//   (c) the row-by-row baseline over a sample of items (row-by-row.ts);
//   (d) on the pipeline's warehouse: an incremental day applied to the source and the first daily
//       run after the full load, a no-change daily run with its quality checks and one without
//       (their difference prices the checks), a second incremental day and a steady daily run.
// Every unit runs in its own child process (child.ts), so each peak RSS is that unit's own. Prints
// medians (min, max) and ratios (summary.ts), writes everything as JSON (default
// .data/bench/bench-<timestamp>.json). Exit 2: bad flags or no server; 1: a unit failed or the
// warehouses differ. See docs/performance.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { BenchSetupError, pgliteDatabases, postgresDatabases, type BenchDatabases } from './databases.js';
import { KPI_BENCH_AREAS, type KpiTimings } from './kpi.js';
import { BenchUsageError, parseBenchOptions, type BenchOptions } from './options.js';
import { BenchChildError, killChildren, runChild, type ChildResult } from './run-child.js';
import { formatSummary, stat, summarize, type Measurement, type ScaleSamples } from './summary.js';
import { seedSizes } from '../../shared/seed/base.js';

const stamp = () => new Date().toISOString().slice(11, 19);
const progress = (line: string) => console.log(`[${stamp()}] ${line}`);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** Timed repetitions of each KPI request per round (after one untimed warm-up). */
const KPI_REPS = 5;

/** Minutes the next daily run must reach back from its watermark to see a day stamped from `windowStart` on. */
const overlapReaching = (windowStart: string) => String(Math.max(60, Math.ceil((Date.now() - Date.parse(windowStart)) / 60_000) + 5));

/**
 * A pipeline unit's quality check time, from the run report it returns: the checks inside the
 * loads run one after another (their durations add up); the whole-warehouse gate's run at once on
 * a pool, so its elapsed time counts (stored in etl.run.report), not the sum of its checks.
 */
function qualityOf(r: ChildResult): { qualityMs?: number } {
  const quality = (r.report as { quality?: { phase: string; ms: number }[] } | undefined)?.quality;
  if (!quality) return {};
  const inLoads = quality.filter((q) => q.phase !== 'warehouse').reduce((n, q) => n + q.ms, 0);
  const warehouse = quality.filter((q) => q.phase === 'warehouse');
  const gate = typeof r.warehouseGateMs === 'number' ? r.warehouseGateMs : warehouse.reduce((n, q) => n + q.ms, 0);
  return { qualityMs: inLoads + (warehouse.length > 0 ? gate : 0) };
}

/** One scale as it goes: filled round by round, so a partial JSON can be written after each. */
interface ScaleRun {
  scale: number;
  sourceRows: number;
  seed: ChildResult | null;
  rounds: RoundRecord[];
  samples: ScaleSamples;
}

interface RoundRecord {
  round: number;
  order: string[];
  units: Record<string, ChildResult>;
}

async function benchScale(opts: BenchOptions, databases: BenchDatabases, storage: string, si: number, run: ScaleRun, roundDone: () => void): Promise<void> {
  const scale = run.scale;
  const today = new Date().toISOString().slice(0, 10);
  // every scale's incremental days are sized for the smallest scale's orders, so the daily runs
  // at two scales read the same number of changes (the issue's daily-at-2x-scale ratio)
  const daySize = seedSizes(Math.min(...opts.scales)).pedidos;
  const name = (x: string) => `s${si}_${x}`;
  progress(`scale ${scale}: seeding the source (seed ${opts.seed}, as of ${opts.asOf}) on ${databases.description}`);
  const seedUrl = await databases.create(name('seed'));
  const seed = await runChild({ unit: 'seed', scale, seed: opts.seed, asOf: opts.asOf }, { OLTP_CONNECTION_STRING: seedUrl });
  const sourceRows = Object.values(seed.counts as Record<string, number>).reduce((a, b) => a + b, 0);
  progress(`scale ${scale}: seeded ${sourceRows.toLocaleString('en-US')} rows in ${secs(seed.ms)}`);
  run.seed = seed;
  run.sourceRows = sourceRows;
  const samples = run.samples;
  samples.sourceRows = sourceRows;
  const rounds = run.rounds;
  const add = (m: Measurement, r: ChildResult) => (samples.samples[m] ??= []).push({ ms: r.ms, peakRssMB: r.peakRssMB, ...qualityOf(r) });

  for (let round = 1; round <= opts.rounds; round++) {
    const tag = `scale ${scale} round ${round}/${opts.rounds}`;
    const rn = (x: string) => name(`r${round}_${x}`);
    const src = await databases.copy(name('seed'), rn('src'));
    const [dwPipeline, dwIdeal] = [await databases.create(rn('dw_pipeline')), await databases.create(rn('dw_ideal'))];
    const pipelineEnv = (extra: Record<string, string> = {}) => ({
      OLTP_CONNECTION_STRING: src,
      DW_CONNECTION_STRING: dwPipeline,
      AzureWebJobsStorage: storage,
      BLOB_CONTAINER: `bench-${si}-${round}`,
      ...extra,
    });
    const pipelineRun = async (label: string, extra?: Record<string, string>, checks?: false) => {
      const r = await runChild({ unit: 'pipeline', ...(checks === false ? { checks } : {}) }, pipelineEnv(extra), { heapMB: 256 });
      const report = r.report as { status: string; runId: string; error?: string | null };
      if (report.status !== 'succeeded') throw new BenchChildError(`${tag}: ${label}: run ${report.runId} ${report.status}: ${report.error ?? ''}`);
      progress(`${tag}: ${label}: ${secs(r.ms)} (peak RSS ${r.peakRssMB} MB)`);
      return r;
    };
    // both warehouses migrated by the same migrations before the timed loads, so neither timed
    // load pays for the DDL (the pipeline then only finds nothing to migrate)
    for (const url of [dwPipeline, dwIdeal]) await runChild({ unit: 'migrate' }, { DW_CONNECTION_STRING: url });
    const record: RoundRecord = { round, order: round % 2 ? ['pipeline', 'ideal'] : ['ideal', 'pipeline'], units: {} };
    rounds.push(record);

    // (a) and (b), alternating which goes first
    for (const unit of record.order) {
      if (unit === 'pipeline') {
        record.units['full.pipeline'] = await pipelineRun('full load, pipeline');
        add('full.pipeline', record.units['full.pipeline']);
      } else {
        const r = await runChild({ unit: 'ideal', today }, { OLTP_CONNECTION_STRING: src, DW_CONNECTION_STRING: dwIdeal });
        progress(`${tag}: full load, SQL-only ideal: ${secs(r.ms)} (peak RSS ${r.peakRssMB} MB)`);
        record.units['full.ideal'] = r;
        add('full.ideal', r);
      }
    }
    // (a') the KPI API on the freshly loaded (and certified) warehouse
    const kpi = await runChild({ unit: 'kpi', reps: KPI_REPS }, { DW_CONNECTION_STRING: dwPipeline });
    record.units.kpi = kpi;
    const timings = kpi as unknown as KpiTimings;
    samples.kpiWindow = timings.window;
    for (const area of KPI_BENCH_AREAS) ((samples.kpi ??= {})[area] ??= []).push(...timings.requestMs[area]);
    progress(
      timings.window
        ? `${tag}: KPI API, one year (${timings.window.from} to ${timings.window.to}), median of ${KPI_REPS}: ${KPI_BENCH_AREAS.map((a) => `${a} ${secs(stat(timings.requestMs[a]).median)}`).join(', ')}`
        : `${tag}: KPI API: nothing certified, no request timed`,
    );

    const identity = await runChild({ unit: 'identity', a: dwPipeline, b: dwIdeal }, {});
    record.units.identity = identity;
    samples.identical.push(identity.identical === true);
    if (identity.identical) progress(`${tag}: the pipeline's warehouse is identical to the ideal's`);
    else {
      const diffs = (identity.tables as { table: string; rows: number[]; identical: boolean; differences?: string[] }[]).filter((t) => !t.identical);
      progress(`${tag}: WAREHOUSES DIFFER: ${diffs.map((d) => `${d.table} (rows ${d.rows.join(' vs ')}; ${d.differences?.join(', ')})`).join('; ')}`);
    }

    // (c) on the ideal's warehouse, from the same source
    const rbr = await runChild({ unit: 'row-by-row', sample: opts.sample }, { OLTP_CONNECTION_STRING: src, DW_CONNECTION_STRING: dwIdeal });
    record.units['row-by-row'] = rbr;
    add('row-by-row', rbr);
    samples.rowByRowRows.push(Number(rbr.rows));
    progress(
      `${tag}: row-by-row: ${rbr.rows} rows in ${secs(rbr.ms)} = ${Math.round(Number(rbr.rowsPerSecond))} rows/s${rbr.matches ? '' : ' (RESULT DIFFERS from the set-based load)'}`,
    );
    await databases.drop(rn('dw_ideal'));

    // (d) daily runs on the pipeline's warehouse: the first day is stamped just before today
    // (another UTC date than the second), so the first run reaches back to it with a wider overlap
    const day1 = await runChild({ unit: 'incremental', at: 'end-of-yesterday', seed: opts.seed, sizedFor: daySize }, { OLTP_CONNECTION_STRING: src });
    record.units['incremental.1'] = day1;
    record.units['daily.first'] = await pipelineRun(`daily run after the full load (${day1.changedRows} rows changed)`, {
      EXTRACT_OVERLAP_MINUTES: overlapReaching(String(day1.windowStart)),
    });
    add('daily.first', record.units['daily.first']);
    // a no-change run with its quality checks and one without (alternating which goes first): the
    // difference is what the checks add to a daily run
    for (const checked of round % 2 ? [true, false] : [false, true]) {
      const unit = checked ? 'daily.no-change' : 'daily.unchecked';
      record.units[unit] = await pipelineRun(
        checked ? 'daily run, no change' : 'daily run, no change, without quality checks',
        undefined,
        checked ? undefined : false,
      );
      add(unit, record.units[unit]);
    }
    const day2 = await runChild({ unit: 'incremental', at: 'now', seed: opts.seed, sizedFor: daySize }, { OLTP_CONNECTION_STRING: src });
    record.units['incremental.2'] = day2;
    record.units['daily.steady'] = await pipelineRun(`daily run, steady (${day2.changedRows} rows changed)`, {
      EXTRACT_OVERLAP_MINUTES: overlapReaching(String(day2.windowStart)),
    });
    add('daily.steady', record.units['daily.steady']);
    samples.changedRows.push([Number(day1.changedRows), Number(day2.changedRows)]);
    await databases.drop(rn('dw_pipeline'));
    await databases.drop(rn('src'));
    roundDone();
  }
  await databases.drop(name('seed'));
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof BenchUsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  let databases: BenchDatabases;
  if (opts.engine === 'postgres') {
    const url = process.env.BENCH_POSTGRES_URL || process.env.TEST_POSTGRES_URL;
    if (!url) {
      console.error(
        '--engine postgres needs a PostgreSQL server: set BENCH_POSTGRES_URL (or TEST_POSTGRES_URL) to a login that may create databases, or use --engine pglite',
      );
      return 2;
    }
    try {
      databases = await postgresDatabases(url);
    } catch (e) {
      if (e instanceof BenchSetupError) {
        console.error(e.message);
        return 2;
      }
      throw e;
    }
  } else databases = pgliteDatabases();

  const work = mkdtempSync(join(tmpdir(), 'bench-'));
  let azurite: Azurite | undefined;
  const cleanup = async () => {
    killChildren();
    await databases.close().catch(() => undefined);
    await azurite?.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  };
  const interrupted = () => {
    progress('interrupted: dropping the bench databases');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  try {
    // one storage emulator for the whole bench, on disk, in this process: the pipeline units'
    // RSS is then the pipeline's own
    azurite = await startAzurite({ location: join(work, 'azurite'), blobPort: 0, queuePort: 0 });
    progress(`bench: ${opts.engine}, scales ${opts.scales.join(', ')}, ${opts.rounds} rounds, row-by-row sample ${opts.sample}`);
    const out = resolve(opts.out ?? join('.data', 'bench', `bench-${startedAt.replace(/[:.]/g, '-')}.json`));
    mkdirSync(dirname(out), { recursive: true });
    const runs: ScaleRun[] = [];
    // written after every round (complete: false) and at the end, so a long run that dies late keeps what it measured
    const write = (complete: boolean) => {
      const summary = summarize(runs.filter((r) => r.rounds.length > 0).map((r) => r.samples));
      const report = {
        complete,
        startedAt,
        finishedAt: new Date().toISOString(),
        options: opts,
        engine: databases.description,
        databasePrefix: databases.prefix,
        machine: { node: process.version, cpus: cpus().length, loadAverageBefore: loadBefore, loadAverageAfter: loadavg() },
        summary,
        scales: runs.map(({ samples, ...rest }) => ({ ...rest, changedRows: samples.changedRows, identical: samples.identical })),
      };
      writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
      return summary;
    };
    for (let si = 0; si < opts.scales.length; si++) {
      const scale = opts.scales[si]!;
      const run: ScaleRun = {
        scale,
        sourceRows: 0,
        seed: null,
        rounds: [],
        samples: { scale, sourceRows: 0, samples: {}, rowByRowRows: [], changedRows: [], identical: [], kpi: {}, kpiWindow: null },
      };
      runs.push(run);
      await benchScale(opts, databases, azurite.connectionString, si, run, () => write(false));
    }
    const summary = write(true);
    console.log('\n' + formatSummary(summary));
    console.log(`\nwritten: ${out}`);
    const identical = summary.scales.every((s) => s.identical);
    if (!identical) console.error("the pipeline's warehouse differs from the ideal's (see above and the JSON)");
    return identical ? 0 : 1;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof BenchChildError ? e.message : e);
    process.exit(1);
  },
);
