// `npm run bench` end to end at a tiny scale on the PostgreSQL server (TEST_POSTGRES_URL): the
// command the performance issue is judged by must run unattended, produce every measurement,
// find the pipeline's warehouse identical to the SQL-only ideal's, and leave no database behind.
// No timing is asserted: the numbers live in the JSON it writes. Bad flags and an unreachable
// server end with exit 2 and the reason, on any machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function bench(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/bench.ts', ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('npm run bench: refusals', () => {
  it('exits 2 naming the flag for a bad flag', async () => {
    const r = await bench(['--engine', 'oracle'], {});
    expect(r.code).toBe(2);
    expect(r.output).toContain("--engine must be postgres or pglite, got 'oracle'");
    const s = await bench(['--scales', '5,x'], {});
    expect(s.code).toBe(2);
    expect(s.output).toContain('--scales must be a comma-separated list');
  });

  it('exits 2 with the reason when no server is configured or it cannot be reached', async () => {
    const none = await bench(['--scales', '0.05'], { BENCH_POSTGRES_URL: undefined, TEST_POSTGRES_URL: undefined });
    expect(none.code).toBe(2);
    expect(none.output).toContain('set BENCH_POSTGRES_URL');
    const unreachable = await bench(['--scales', '0.05'], { BENCH_POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/postgres' });
    expect(unreachable.code).toBe(2);
    expect(unreachable.output).toContain('cannot reach the PostgreSQL server');
  });
});

const serverUrl = process.env.TEST_POSTGRES_URL;
if (!serverUrl) console.log('bench-run: TEST_POSTGRES_URL is not set; the end-to-end bench run is skipped');

(serverUrl ? describe : describe.skip)('npm run bench on the PostgreSQL server (TEST_POSTGRES_URL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-run-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures every unit at a tiny scale, finds the warehouses identical and drops its databases', async () => {
    const out = join(dir, 'bench.json');
    const r = await bench(['--scales', '0.05', '--rounds', '1', '--sample', '20', '--out', out], { BENCH_POSTGRES_URL: serverUrl });
    expect({ code: r.code, tail: r.code === 0 ? '' : r.output.slice(-3000) }).toEqual({ code: 0, tail: '' });
    expect(r.output).toContain("the pipeline's warehouse is identical to the ideal's");

    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.complete).toBe(true);
    const [scale] = json.summary.scales;
    expect(scale.scale).toBe(0.05);
    expect(scale.identical).toBe(true);
    for (const m of ['full.pipeline', 'full.ideal', 'row-by-row', 'daily.first', 'daily.no-change', 'daily.unchecked', 'daily.steady']) {
      expect({ m, n: scale.ms[m]?.n, positive: scale.ms[m]?.median > 0, rss: scale.peakRssMB[m] > 0 }).toEqual({ m, n: 1, positive: true, rss: true });
    }
    expect(scale.ratios.pipelineOverIdeal).toBeGreaterThan(0);
    // the KPI API's requests for the last year of certified data, timed on the pipeline's warehouse
    expect(scale.kpi.window).toEqual({ from: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), to: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    for (const area of ['vendas', 'metas', 'descontos', 'filtros']) {
      expect({ area, n: scale.kpi.ms[area]?.n, positive: scale.kpi.ms[area]?.median > 0 }).toEqual({ area, n: 5, positive: true });
    }
    expect(r.output).toMatch(/KPI API, one year \(.*\): vendas \d+\.\d\d s, metas \d+\.\d\d s, descontos \d+\.\d\d s, filtros \d+\.\d\d s/);

    const [round] = json.scales[0].rounds;
    // the baseline re-created exactly the facts the set-based load wrote
    expect(round.units['row-by-row']).toMatchObject({ rows: 20, matches: true });
    // every compared table agreed, facts included
    const vendas = round.units.identity.tables.find((t: { table: string }) => t.table === 'dw.fact_vendas');
    expect(vendas.identical).toBe(true);
    expect(vendas.rows[0]).toBeGreaterThan(0);
    // the daily runs after an incremental day read its rows; the no-change run read none
    const read = (unit: string) =>
      (round.units[unit].report.steps as { step: string; read: number }[]).filter((s) => s.step === 'extract').reduce((n, s) => n + s.read, 0);
    expect(round.units['incremental.1'].changedRows).toBeGreaterThan(0);
    expect(read('daily.first')).toBeGreaterThan(0);
    expect(read('daily.steady')).toBeGreaterThan(0);
    expect(read('daily.no-change')).toBe(0);
    // the run without quality checks recorded none; the one with them recorded the catalogue
    expect(round.units['daily.unchecked'].report.quality).toEqual([]);
    expect(round.units['daily.no-change'].report.quality.map((q: { name: string }) => q.name)).toEqual(
      expect.arrayContaining(['reconcile_sales', 'freshness']),
    );
    expect(r.output).toMatch(/quality checks' extra time on a daily run \(no change, with checks - without\): -?\d+\.\d\d s = -?\d+% of the run/);

    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      const left = await admin.query('select datname from pg_database where starts_with(datname, $1)', [json.databasePrefix]);
      expect(left.rows).toEqual([]);
    } finally {
      await admin.end();
    }
  }, 900_000);
});
