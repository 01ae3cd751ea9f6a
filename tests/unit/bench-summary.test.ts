// The bench's flags and its arithmetic: what a reader of `npm run bench` compares (medians,
// ratios, the across-scale daily ratio and whether it is at the same number of changes) must be
// computed right, and a bad flag must name itself.
import { BenchUsageError, DEFAULT_AS_OF, parseBenchOptions } from '../../scripts/bench/options.js';
import { formatSummary, stat, summarize, type ScaleSamples } from '../../scripts/bench/summary.js';

describe('bench flags', () => {
  it('defaults to the PostgreSQL server at scales 5 and 10, 3 rounds, a 2000-row sample, a fixed as-of', () => {
    expect(parseBenchOptions([])).toEqual({ engine: 'postgres', scales: [5, 10], rounds: 3, sample: 2000, out: null, asOf: DEFAULT_AS_OF, seed: 42 });
    expect(parseBenchOptions(['--engine', 'pglite']).scales).toEqual([1]);
    expect(parseBenchOptions(['--scales', '10,0.5', '--rounds', '1', '--out', 'x.json'])).toMatchObject({ scales: [0.5, 10], rounds: 1, out: 'x.json' });
  });

  it.each([
    [['--engine', 'mysql'], "--engine must be postgres or pglite, got 'mysql'"],
    [['--scales', '0'], '--scales must be a comma-separated list'],
    [['--scales', '5,5'], 'lists a scale twice'],
    [['--scales', '101'], '--scales must be'],
    [['--rounds', '0'], '--rounds must be an integer from 1 to 50'],
    [['--sample', 'many'], '--sample must be an integer'],
    [['--as-of', '2026-13-45'], '--as-of must be a date'],
    [['--as-of', new Date().toISOString().slice(0, 10)], 'at least two days ago'],
    [['--verbose'], "Unknown option '--verbose'"],
    [['extra'], 'usage: npm run bench'],
  ])('refuses %j', (args, message) => {
    expect(() => parseBenchOptions(args)).toThrow(BenchUsageError);
    expect(() => parseBenchOptions(args)).toThrow(message);
  });
});

describe('bench summary', () => {
  const sample = (ms: number, peakRssMB = 100) => ({ ms, peakRssMB });
  const scale = (s: number, k: number, changed: number, identical = true): ScaleSamples => ({
    scale: s,
    sourceRows: 100_000 * k,
    samples: {
      'full.pipeline': [sample(30_000 * k), sample(20_000 * k, 180), sample(25_000 * k)],
      'full.ideal': [sample(10_000 * k), sample(10_000 * k), sample(12_000 * k)],
      'row-by-row': [sample(2_000), sample(1_000), sample(4_000)],
      'daily.first': [sample(3_000), sample(3_000), sample(3_000)],
      'daily.no-change': [sample(500), sample(700), sample(600)],
      'daily.steady': [sample(1_000 * k), sample(1_500 * k), sample(2_000 * k)],
    },
    rowByRowRows: [1000, 1000, 1000],
    changedRows: [
      [changed, changed],
      [changed, changed],
      [changed, changed],
    ],
    identical: [true, true, identical],
  });

  it('takes medians of odd and even counts, with min and max', () => {
    expect(stat([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(stat([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(stat([]).n).toBe(0);
  });

  it('computes the ratios the issue is judged by, per scale and across scales', () => {
    const summary = summarize([scale(5, 1, 500), scale(10, 2, 1000)]);
    const [five, ten] = summary.scales;
    expect(five!.ms['full.pipeline']).toEqual({ median: 25_000, min: 20_000, max: 30_000, n: 3 });
    expect(five!.peakRssMB['full.pipeline']).toBe(180);
    expect(five!.ratios.pipelineOverIdeal).toBeCloseTo(2.5);
    expect(five!.pipelineRowsPerSecond.median).toBeCloseTo(100_000 / 25);
    expect(five!.rowByRowRowsPerSecond.median).toBe(500);
    expect(five!.ratios.rowByRowOverPipelineRowsPerSecond).toBeCloseTo(500 / 4000);
    expect(five!.ratios.steadyDailyOverFull).toBeCloseTo(1_500 / 25_000);
    expect(five!.ratios.firstDailyOverSteady).toBeCloseTo(2);
    expect(ten!.ratios.firstDailyOverSteady).toBeCloseTo(1);
    expect(summary.acrossScales).toEqual({ from: 5, to: 10, dailySteady: 2, dailyFirst: 1, dailyNoChange: 1, fullPipeline: 2, changedRows: 2 });
  });

  it('prints the table, says when the warehouses differ and when the daily ratio is not at the same number of changes', () => {
    const text = formatSummary(summarize([scale(5, 1, 500, false), scale(10, 2, 1000)]));
    expect(text).toContain("warehouse identical to the ideal's: NO");
    expect(text).toContain('pipeline / ideal (full load): 2.50');
    expect(text).toContain('scale 10 / scale 5:');
    expect(text).toContain('not at the same number of changes');
    expect(formatSummary(summarize([scale(5, 1, 500), scale(10, 2, 500)]))).not.toContain('not at the same number of changes');
  });
});

describe('bench summary: quality checks', () => {
  it('gives the median share of a pipeline run its quality checks took, and prints it; units without checks have none', () => {
    const withChecks = (ms: number, qualityMs: number) => ({ ms, peakRssMB: 100, qualityMs });
    const summary = summarize([
      {
        scale: 10,
        sourceRows: 1000,
        samples: {
          'full.pipeline': [withChecks(10_000, 1_000), withChecks(10_000, 2_000), withChecks(10_000, 3_000)],
          'full.ideal': [{ ms: 5_000, peakRssMB: 100 }],
          'daily.steady': [withChecks(2_000, 500), withChecks(4_000, 400)],
        },
        rowByRowRows: [],
        changedRows: [],
        identical: [true],
      },
    ]);
    const [s] = summary.scales;
    expect(s!.qualityShare['full.pipeline']).toBeCloseTo(0.2);
    expect(s!.qualityShare['daily.steady']).toBeCloseTo((0.25 + 0.1) / 2);
    expect(s!.qualityShare['full.ideal']).toBeUndefined();
    expect(formatSummary(summary)).toContain("quality checks' share of the run: full load, pipeline 20%, daily run, steady (second day) 18%");
    // no run without the checks was measured: no extra time is claimed
    expect(s!.checksExtra).toBeUndefined();
    expect(formatSummary(summary)).not.toContain('extra time');
  });

  it('prices the checks as the median no-change run with them minus the median one without', () => {
    const summary = summarize([
      {
        scale: 10,
        sourceRows: 1000,
        samples: {
          'daily.no-change': [
            { ms: 2_000, peakRssMB: 100 },
            { ms: 2_400, peakRssMB: 100 },
            { ms: 2_100, peakRssMB: 100 },
          ],
          'daily.unchecked': [
            { ms: 1_700, peakRssMB: 100 },
            { ms: 1_600, peakRssMB: 100 },
            { ms: 2_500, peakRssMB: 100 },
          ],
        },
        rowByRowRows: [],
        changedRows: [],
        identical: [true],
      },
    ]);
    const [s] = summary.scales;
    expect(s!.checksExtra!.ms).toBe(400);
    expect(s!.checksExtra!.share).toBeCloseTo(400 / 2_100);
    const text = formatSummary(summary);
    expect(text).toContain('daily run, no change, no quality checks');
    expect(text).toContain("quality checks' extra time on a daily run (no change, with checks - without): 0.40 s = 19% of the run");
  });
});
