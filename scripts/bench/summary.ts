// Medians, ranges and ratios of the bench's measurements, and the printed table. Pure: the
// orchestration (bench.ts) collects the samples, this turns them into what the reader compares.
import { KPI_BENCH_AREAS, type KpiBenchArea } from './kpi.js';

/** One measured unit: its inner time and the peak RSS of its process. */
export interface Sample {
  ms: number;
  peakRssMB: number;
  /** pipeline runs: the time its quality checks took (the checks in the loads, plus the whole-warehouse gate's elapsed time) */
  qualityMs?: number;
}

export const MEASUREMENTS = ['full.pipeline', 'full.ideal', 'row-by-row', 'daily.first', 'daily.no-change', 'daily.unchecked', 'daily.steady'] as const;
export type Measurement = (typeof MEASUREMENTS)[number];

export interface ScaleSamples {
  scale: number;
  /** rows in the source when the full loads run */
  sourceRows: number;
  samples: Partial<Record<Measurement, Sample[]>>;
  /** row-by-row: rows upserted per round */
  rowByRowRows: number[];
  /** rows the incremental days changed: [first day, second day] per round */
  changedRows: [number, number][];
  identical: boolean[];
  /** the KPI API's request times per area (ms; every repetition of every round) */
  kpi?: Partial<Record<KpiBenchArea, number[]>>;
  /** the one-year window the KPI requests asked for (null: nothing certified) */
  kpiWindow?: { from: string; to: string } | null;
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stat(values: readonly number[]): Stat {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

export interface ScaleSummary {
  scale: number;
  sourceRows: number;
  ms: Partial<Record<Measurement, Stat>>;
  peakRssMB: Partial<Record<Measurement, number>>;
  rowByRowRowsPerSecond: Stat;
  pipelineRowsPerSecond: Stat;
  changedRows: Stat;
  identical: boolean;
  /** per pipeline measurement: the share of its time its quality checks took (median over rounds) */
  qualityShare: Partial<Record<Measurement, number>>;
  /** the KPI API for one year of data: per area, the request time (ms) over every repetition */
  kpi: { window: { from: string; to: string } | null; ms: Partial<Record<KpiBenchArea, Stat>> };
  ratios: {
    pipelineOverIdeal: number;
    rowByRowOverPipelineRowsPerSecond: number;
    steadyDailyOverFull: number;
    firstDailyOverSteady: number;
  };
  /**
   * What the quality checks add to a daily run: the median no-change run with its checks minus
   * the median one without, and that over the run with them (absent without both measurements).
   */
  checksExtra?: { ms: number; share: number };
}

export interface Summary {
  scales: ScaleSummary[];
  /** the largest scale over the smallest, when there are two or more */
  acrossScales: null | {
    from: number;
    to: number;
    dailySteady: number;
    dailyFirst: number;
    dailyNoChange: number;
    fullPipeline: number;
    /** changed rows of the larger scale's incremental days over the smaller's: 1 when the day has the same size */
    changedRows: number;
  };
}

const median = (s: Stat | undefined) => s?.median ?? Number.NaN;

/** What the checks add: a run with them minus one without, and that over the run with them. */
const extraOf = (withChecks: number, without: number) => ({ ms: withChecks - without, share: (withChecks - without) / withChecks });

export function summarize(all: readonly ScaleSamples[]): Summary {
  const scales = all.map((x): ScaleSummary => {
    const ms: ScaleSummary['ms'] = {};
    const peakRssMB: ScaleSummary['peakRssMB'] = {};
    const qualityShare: ScaleSummary['qualityShare'] = {};
    for (const m of MEASUREMENTS) {
      const samples = x.samples[m] ?? [];
      if (samples.length === 0) continue;
      ms[m] = stat(samples.map((s) => s.ms));
      peakRssMB[m] = Math.max(...samples.map((s) => s.peakRssMB));
      const shares = samples.flatMap((s) => (s.qualityMs === undefined ? [] : [s.qualityMs / s.ms]));
      if (shares.length > 0) qualityShare[m] = stat(shares).median;
    }
    const rbr = (x.samples['row-by-row'] ?? []).map((s, i) => (x.rowByRowRows[i] ?? 0) / (s.ms / 1000));
    const pipelineRps = (x.samples['full.pipeline'] ?? []).map((s) => x.sourceRows / (s.ms / 1000));
    const rowByRowRowsPerSecond = stat(rbr);
    const pipelineRowsPerSecond = stat(pipelineRps);
    return {
      scale: x.scale,
      sourceRows: x.sourceRows,
      ms,
      peakRssMB,
      rowByRowRowsPerSecond,
      pipelineRowsPerSecond,
      changedRows: stat(x.changedRows.flat()),
      identical: x.identical.length > 0 && x.identical.every(Boolean),
      qualityShare,
      kpi: {
        window: x.kpiWindow ?? null,
        ms: Object.fromEntries(KPI_BENCH_AREAS.flatMap((a) => ((x.kpi?.[a]?.length ?? 0) > 0 ? [[a, stat(x.kpi![a]!)]] : []))),
      },
      ...(ms['daily.no-change'] && ms['daily.unchecked'] ? { checksExtra: extraOf(median(ms['daily.no-change']), median(ms['daily.unchecked'])) } : {}),
      ratios: {
        pipelineOverIdeal: median(ms['full.pipeline']) / median(ms['full.ideal']),
        rowByRowOverPipelineRowsPerSecond: rowByRowRowsPerSecond.median / pipelineRowsPerSecond.median,
        steadyDailyOverFull: median(ms['daily.steady']) / median(ms['full.pipeline']),
        firstDailyOverSteady: median(ms['daily.first']) / median(ms['daily.steady']),
      },
    };
  });
  let acrossScales: Summary['acrossScales'] = null;
  if (scales.length >= 2) {
    const [a, b] = [scales[0]!, scales[scales.length - 1]!];
    const r = (m: Measurement) => median(b.ms[m]) / median(a.ms[m]);
    acrossScales = {
      from: a.scale,
      to: b.scale,
      dailySteady: r('daily.steady'),
      dailyFirst: r('daily.first'),
      dailyNoChange: r('daily.no-change'),
      fullPipeline: r('full.pipeline'),
      changedRows: b.changedRows.median / a.changedRows.median,
    };
  }
  return { scales, acrossScales };
}

const LABELS: Record<Measurement, string> = {
  'full.pipeline': 'full load, pipeline',
  'full.ideal': 'full load, SQL-only ideal',
  'row-by-row': 'row-by-row upserts (sample)',
  'daily.first': 'daily run, first after the full load',
  'daily.no-change': 'daily run, no change',
  'daily.unchecked': 'daily run, no change, no quality checks',
  'daily.steady': 'daily run, steady (second day)',
};

const secs = (ms: number) => (Number.isNaN(ms) ? '-' : (ms / 1000).toFixed(ms < 10_000 ? 2 : 1));
const ratio = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

export function formatSummary(summary: Summary): string {
  const lines: string[] = [];
  for (const s of summary.scales) {
    lines.push(`scale ${s.scale} (${s.sourceRows.toLocaleString('en-US')} source rows; ${s.ms['full.pipeline']?.n ?? 0} rounds)`);
    lines.push(`  ${pad('measurement', 40)}${lpad('median s', 10)}${lpad('min s', 9)}${lpad('max s', 9)}${lpad('peak RSS MB', 13)}`);
    for (const m of MEASUREMENTS) {
      const st = s.ms[m];
      if (!st) continue;
      lines.push(
        `  ${pad(LABELS[m], 40)}${lpad(secs(st.median), 10)}${lpad(secs(st.min), 9)}${lpad(secs(st.max), 9)}${lpad(String(s.peakRssMB[m] ?? '-'), 13)}`,
      );
    }
    const kpi = KPI_BENCH_AREAS.flatMap((a) => (s.kpi.ms[a] ? [`${a} ${(s.kpi.ms[a].median / 1000).toFixed(2)} s`] : []));
    if (s.kpi.window && kpi.length > 0)
      lines.push(
        `  KPI API, one year (${s.kpi.window.from} to ${s.kpi.window.to}; median of ${s.kpi.ms.vendas?.n ?? 0} requests): ${kpi.join(', ')} (max ${secs(Math.max(...KPI_BENCH_AREAS.map((a) => s.kpi.ms[a]?.max ?? 0)))} s)`,
      );
    lines.push(`  warehouse identical to the ideal's: ${s.identical ? 'yes' : 'NO'}`);
    lines.push(`  pipeline / ideal (full load): ${ratio(s.ratios.pipelineOverIdeal)}`);
    lines.push(
      `  rows/s: pipeline full load ${Math.round(s.pipelineRowsPerSecond.median).toLocaleString('en-US')}, row-by-row ${Math.round(s.rowByRowRowsPerSecond.median).toLocaleString('en-US')} (ratio ${ratio(s.ratios.rowByRowOverPipelineRowsPerSecond)})`,
    );
    lines.push(
      `  steady daily / full load: ${ratio(s.ratios.steadyDailyOverFull)}; first daily after the full load / steady daily: ${ratio(s.ratios.firstDailyOverSteady)}`,
    );
    lines.push(`  rows changed per incremental day: median ${s.changedRows.median}`);
    const shares = MEASUREMENTS.flatMap((m) => (s.qualityShare[m] === undefined ? [] : [`${LABELS[m]} ${(100 * s.qualityShare[m]).toFixed(0)}%`]));
    if (shares.length > 0) lines.push(`  quality checks' share of the run: ${shares.join(', ')}`);
    if (s.checksExtra)
      lines.push(
        `  quality checks' extra time on a daily run (no change, with checks - without): ${secs(s.checksExtra.ms)} s = ${(100 * s.checksExtra.share).toFixed(0)}% of the run`,
      );
    lines.push('');
  }
  const x = summary.acrossScales;
  if (x) {
    lines.push(`scale ${x.to} / scale ${x.from}:`);
    lines.push(
      `  daily steady ${ratio(x.dailySteady)}, daily first ${ratio(x.dailyFirst)}, daily no-change ${ratio(x.dailyNoChange)}, full load ${ratio(x.fullPipeline)}; rows changed per day ${ratio(x.changedRows)}`,
    );
    if (Math.abs(x.changedRows - 1) > 0.05)
      lines.push('  (the incremental day grows with the scale, so the daily ratio is not at the same number of changes: see docs/performance.md)');
  }
  return lines.join('\n');
}
