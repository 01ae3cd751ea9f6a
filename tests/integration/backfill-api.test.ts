// POST /api/backfill, GET /api/runs and GET /api/runs/{id}, through the local Functions host's
// HTTP server, on PGlite and a real Azurite.
import { sql } from 'kysely';
import type { LocalHost } from '../../dev/host.js';
import { getDatabase } from '../../shared/db/connections.js';
import { ENTITIES } from '../../shared/pipeline/entities.js';
import type { RunReport } from '../../shared/pipeline/run-report.js';
import { seedBase } from '../../shared/seed/base.js';
import { startTestHost, stopTestHost } from '../helpers/host.js';

let host: LocalHost;
let connectionString: string;
const logs: string[] = [];

const ALL = ENTITIES.map((e) => e.name);
const DAY = 24 * 3600 * 1000;

beforeAll(async () => {
  ({ host, connectionString } = await startTestHost({ container: 'raw-backfill-test', httpPort: 0, log: (l) => logs.push(l) }));
  delete process.env.BACKFILL_MAX_DAYS;
  await seedBase(await getDatabase('oltp'), { scale: 0.02, seed: 7, asOf: new Date('2026-06-01T00:00:00Z') });
});

afterAll(() => stopTestHost());

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${host.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : null) as Record<string, any> };
}

const post = (body: unknown) => call('POST', '/api/backfill', body);

async function runRows(): Promise<number> {
  const dw = await getDatabase('dw');
  const r = await dw.db
    .selectFrom('etl.run')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function queueLength(name: string): Promise<number> {
  const { QueueServiceClient } = await import('@azure/storage-queue');
  const q = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(name);
  if (!(await q.exists())) return 0;
  return (await q.getProperties()).approximateMessagesCount ?? 0;
}

/** The blobs a run's extract wrote (its batch folders carry the run id). */
async function blobsOf(runId: string): Promise<string[]> {
  const { BlobServiceClient } = await import('@azure/storage-blob');
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('raw-backfill-test');
  if (!(await container.exists())) return [];
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) if (blob.name.includes(runId)) names.push(blob.name);
  return names;
}

/** What a backfill of (from, to] must read, counted straight in the OLTP. */
async function sourceCounts(from: string, to: string, entities: readonly string[]): Promise<Record<string, number>> {
  const oltp = await getDatabase('oltp');
  const out: Record<string, number> = {};
  for (const name of entities) {
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from ${sql.table(`oltp.${name}`)} where updated_at > ${new Date(from)} and updated_at <= ${new Date(to)}`.execute(oltp.db);
    out[name] = rows[0]!.n;
  }
  return out;
}

describe('POST /api/backfill: bad requests', () => {
  const tomorrow = () => new Date(Date.now() + DAY).toISOString();
  const weekAgo = () => new Date(Date.now() - 7 * DAY).toISOString().slice(0, 10);
  const cases: [string, () => unknown, RegExp][] = [
    ['an empty body', () => '', /body is not JSON/],
    ['a body that is not JSON', () => '{"from": "2026-04-01",', /body is not JSON/],
    ['a JSON array', () => '[{"from":"2026-04-01","to":"2026-05-01"}]', /body must be a JSON object .*got an array/],
    ['a JSON string', () => '"2026-04-01"', /body must be a JSON object .*got a string/],
    ['a missing from', () => ({ to: '2026-05-01' }), /^from: is required \(an ISO date/],
    ['a missing to', () => ({ from: '2026-04-01' }), /^to: is required/],
    ['an unparseable from', () => ({ from: 'last week', to: '2026-05-01' }), /^from: 'last week' is not an ISO date/],
    ['an impossible date', () => ({ from: '2026-04-01', to: '2026-04-31' }), /^to: '2026-04-31' is not an ISO date/],
    ['a datetime without offset', () => ({ from: '2026-04-01T00:00:00', to: '2026-05-01' }), /^from: '2026-04-01T00:00:00' has no offset; add Z for UTC/],
    ['a number for to', () => ({ from: '2026-04-01', to: 20260501 }), /^to: must be a string/],
    ['from equal to to', () => ({ from: '2026-04-01', to: '2026-04-01T00:00:00Z' }), /^from \(2026-04-01T00:00:00.000Z\) must be before to/],
    ['from after to', () => ({ from: '2026-05-01', to: '2026-04-01' }), /must be before to/],
    [
      'a window longer than BACKFILL_MAX_DAYS',
      () => ({ from: '2026-01-01', to: '2026-04-03T00:00:01Z' }),
      /is 92\.01 days; at most 92 days \(BACKFILL_MAX_DAYS\)/,
    ],
    ['a window ending in the future of the source clock', () => ({ from: weekAgo(), to: tomorrow() }), /^to \(.*\) is in the future of the source clock/],
    [
      'an unknown entity',
      () => ({ from: '2026-04-01', to: '2026-05-01', entities: ['pedidos', 'orders'] }),
      new RegExp(`^entities: unknown entity 'orders'; valid: ${ALL.join(', ')}$`),
    ],
    ['an empty entities array', () => ({ from: '2026-04-01', to: '2026-05-01', entities: [] }), /^entities: must not be empty/],
    ['entities that is not an array', () => ({ from: '2026-04-01', to: '2026-05-01', entities: 'pedidos' }), /^entities: must be an array of entity names/],
    ['a dryRun that is not a boolean', () => ({ from: '2026-04-01', to: '2026-05-01', dryRun: 'yes' }), /^dryRun: must be true or false/],
    ['an unknown field', () => ({ from: '2026-04-01', to: '2026-05-01', window: 'april' }), /^unknown field 'window'; expected from, to, entities, dryRun$/],
  ];

  it.each(cases)('answers 400 with a message for %s, and starts nothing', async (_name, body, message) => {
    const before = await runRows();
    const res = await post(body());
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(message);
    expect(await runRows()).toBe(before);
    expect(await queueLength('backfill-extract')).toBe(0);
    expect(await queueLength('load-dimensions')).toBe(0);
  });

  it('every bad request, one after another, leaves no run row and no queued load behind', async () => {
    const before = await runRows();
    for (const [name, body] of cases) expect([name, (await post(body())).status]).toEqual([name, 400]);
    expect(await runRows()).toBe(before);
    expect(await queueLength('backfill-extract')).toBe(0);
    expect(await queueLength('load-dimensions')).toBe(0);
  });

  it('takes the maximum window from BACKFILL_MAX_DAYS', async () => {
    process.env.BACKFILL_MAX_DAYS = '10';
    try {
      const res = await post({ from: '2026-04-01', to: '2026-04-12', dryRun: true });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatch(/at most 10 days/);
      expect((await post({ from: '2026-04-01', to: '2026-04-11', dryRun: true })).status).toBe(200);
    } finally {
      delete process.env.BACKFILL_MAX_DAYS;
    }
  });
});

describe('POST /api/backfill: dry run', () => {
  it('counts, per entity, the source rows with updated_at in (from, to] and starts nothing', async () => {
    const before = await runRows();
    const res = await post({ from: '2026-03-01', to: '2026-05-15T12:00:00Z', dryRun: true });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      dryRun: true,
      window: { from: '2026-03-01T00:00:00.000Z', to: '2026-05-15T12:00:00.000Z' },
      rows: await sourceCounts('2026-03-01', '2026-05-15T12:00:00Z', ALL),
    });
    expect(res.json.rows.pedidos).toBeGreaterThan(0);
    expect(await runRows()).toBe(before);
    expect(await queueLength('load-dimensions')).toBe(0);
  });

  it('counts only the named entities; an offset datetime is converted to UTC', async () => {
    const res = await post({ from: '2026-04-01T00:00:00-03:00', to: '2026-04-16', entities: ['pedidos', 'clientes'], dryRun: true });
    expect(res.status).toBe(200);
    expect(res.json.window).toEqual({ from: '2026-04-01T03:00:00.000Z', to: '2026-04-16T00:00:00.000Z' });
    expect(res.json.rows).toEqual(await sourceCounts('2026-04-01T03:00:00Z', '2026-04-16', ['clientes', 'pedidos']));
  });
});

describe('POST /api/backfill: a run', () => {
  it('answers 202 with the status URL, 409 while the run holds the lease, and never moves a watermark back', async () => {
    // a daily run first: it loads the source and sets the watermarks a backfill of an older window must not touch
    // (and the quality gate reconciles the warehouse with the source after each run, so it must hold what they say)
    const dw = await getDatabase('dw');
    await host.fireTimer('extract');
    await host.drain(500);
    expect(await dw.db.selectFrom('etl.run').select('status').where('kind', '=', 'daily').execute()).toEqual([{ status: 'succeeded' }]);
    const watermarks = async () => (await dw.db.selectFrom('etl.watermark').selectAll().orderBy('entity').execute()).map((w) => JSON.stringify(w));
    const before = await watermarks();
    const runsBefore = await runRows();

    const res = await post({ from: '2026-04-01', to: '2026-05-01' });
    expect(res.status).toBe(202);
    const runId = res.json.runId as string;
    expect(res.json).toEqual({ runId, status: 'running', statusUrl: `/api/runs/${runId}` });
    expect(res.headers.get('location')).toBe(`/api/runs/${runId}`);
    // answered before the extract ran: the run is running and holds the lease, with no step, no
    // batch and no blob yet; only its extract message is queued (the host polls only on drain here)
    expect(await dw.db.selectFrom('etl.run').select(['kind', 'status']).where('run_id', '=', runId).execute()).toEqual([
      { kind: 'backfill', status: 'running' },
    ]);
    expect(await dw.db.selectFrom('etl.run_step').select('entity').where('run_id', '=', runId).execute()).toEqual([]);
    expect(await dw.db.selectFrom('etl.batch').select('entity').where('run_id', '=', runId).execute()).toEqual([]);
    expect(await blobsOf(runId)).toEqual([]);
    expect((await dw.db.selectFrom('etl.lease').select('holder').execute()).map((l) => l.holder)).toEqual([runId]);
    expect(await queueLength('backfill-extract')).toBe(1);
    expect(await queueLength('load-dimensions')).toBe(0);
    const accepted = await call('GET', res.headers.get('location')!);
    expect(accepted.json).toMatchObject({ runId, kind: 'backfill', status: 'running', steps: [] });

    // the run holds the pipeline lease from the 202 until its load is done
    const second = await post({ from: '2026-04-01', to: '2026-04-02', entities: ['pedidos'] });
    expect(second.status).toBe(409);
    expect(second.json).toEqual({ error: 'another run is in progress', heldBy: runId });

    await host.drain(500);
    expect((await blobsOf(runId)).length).toBeGreaterThan(0);
    expect(await queueLength('backfill-extract')).toBe(0);
    const report = await call('GET', res.headers.get('location')!);
    expect(report.status).toBe(200);
    const run = report.json as RunReport;
    expect(run).toMatchObject({ runId, kind: 'backfill' });
    expect(run.status).toBe('succeeded');
    const expected = await sourceCounts('2026-04-01', '2026-05-01', ALL);
    const extract = run.steps.filter((s) => s.step === 'extract');
    expect(extract.map((s) => s.entity).sort()).toEqual([...ALL].sort());
    for (const s of extract) {
      expect(s).toMatchObject({ status: 'succeeded', windowFrom: '2026-04-01T00:00:00.000Z', windowTo: '2026-05-01T00:00:00.000Z', read: expected[s.entity] });
    }
    // then the loads of the same run: every dimension, then every fact, all succeeded
    expect(
      run.steps
        .filter((s) => s.step !== 'extract')
        .map((s) => `${s.step}/${s.entity}`)
        .sort(),
    ).toEqual(ENTITIES.map((e) => `${e.loadedBy}/${e.name}`).sort());
    expect(run.steps.filter((s) => s.status !== 'succeeded')).toEqual([]);
    expect(await watermarks()).toEqual(before);

    // the list: newest first, the backfill and the skipped request both in it (after any run an earlier test started)
    const list = await call('GET', '/api/runs');
    expect(list.status).toBe(200);
    const runs = list.json.runs as { runId: string; kind: string; status: string; startedAt: string; finishedAt: string | null; error: string | null }[];
    expect(runs).toHaveLength(runsBefore + 2);
    expect(runs.map((r) => r.startedAt)).toEqual([...runs.map((r) => r.startedAt)].sort().reverse());
    expect(runs.find((r) => r.runId === runId)).toEqual({
      runId,
      kind: 'backfill',
      status: run.status,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      error: null,
    });
    expect(runs[0]).toMatchObject({ kind: 'backfill', status: 'skipped', error: expect.stringContaining(runId) });
    const one = await call('GET', '/api/runs?limit=1');
    expect(one.json.runs).toEqual([runs[0]]);

    // the finished run released the lease: the request refused a moment ago is accepted now
    const again = await post({ from: '2026-04-01', to: '2026-04-02', entities: ['pedidos'] });
    expect(again.status).toBe(202);
    await host.drain(500);
    expect((await call('GET', again.json.statusUrl)).json).toMatchObject({ runId: again.json.runId, kind: 'backfill', status: 'succeeded' });
    expect(await watermarks()).toEqual(before);
  });
});

describe('GET /api/runs', () => {
  it('answers 404 for a well-formed run id that is not a run, 400 for one that cannot be', async () => {
    const res = await call('GET', '/api/runs/20260101T000000000Z-abc123');
    expect(res.status).toBe(404);
    expect(res.json.error).toBe("no run '20260101T000000000Z-abc123'");
    const bad = await call('GET', '/api/runs/nosuch');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('run id "nosuch" is not of the form 20261130T101500123Z-1a2b3c');
  });

  it.each(['0', '201', 'ten', '1.5', '-3'])('answers 400 for limit=%s', async (limit) => {
    const res = await call('GET', `/api/runs?limit=${limit}`);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/^limit must be a whole number from 1 to 200/);
  });

  it("answers a method no function takes with the real host's empty 404, not a 405", async () => {
    for (const [method, path] of [
      ['POST', '/api/runs'],
      ['GET', '/api/backfill'],
      ['GET', '/api/runs/a/b'],
    ]) {
      const res = await fetch(`${host.url}${path!}`, { method, body: method === 'POST' ? '{}' : undefined });
      expect([method, path, res.status, await res.text()]).toEqual([method, path, 404, '']);
    }
  });
});

describe('GET /api/quality', () => {
  it('lists the checks a run ran, newest first, with the certified pointer; GET /api/runs/{id} carries the run’s results', async () => {
    const started = await post({ from: '2026-03-01', to: '2026-03-08' });
    expect(started.status).toBe(202);
    await host.drain(500);
    const run = (await call('GET', started.json.statusUrl)).json as RunReport;
    expect(run.status).toBe('succeeded');
    expect(run.quality.length).toBeGreaterThan(0);
    expect(run.quality.filter((r) => r.status === 'failed' || r.status === 'error')).toEqual([]);

    const all = await call('GET', '/api/quality?limit=200');
    expect(all.status).toBe(200);
    const results = all.json.results as { runId: string | null; name: string; checkedAt: string }[];
    expect(results.map((r) => r.checkedAt)).toEqual([...results.map((r) => r.checkedAt)].sort().reverse());
    const mine = results.filter((r) => r.runId === run.runId);
    expect(mine.map((r) => r.name).sort()).toEqual(run.quality.map((r) => r.name).sort());
    // a passing run moves the pointer to itself once a daily run has set watermarks (backfills move none)
    const dw = await getDatabase('dw');
    const marks = await dw.db.selectFrom('etl.watermark').select('entity').execute();
    expect(all.json.certified.runId).toBe(marks.length > 0 ? run.runId : null);

    const name = run.quality[0]!.name;
    const one = await call('GET', `/api/quality?check=${name}&limit=1`);
    expect(one.status).toBe(200);
    expect(one.json.results).toHaveLength(1);
    expect(one.json.results[0]).toMatchObject({ name });
  });

  it.each([
    ['limit=0', /^limit must be a whole number from 1 to 200/],
    ['limit=abc', /^limit must be a whole number from 1 to 200/],
    ['check=no_such_check', /^check "no_such_check" is not a check of the catalogue; known checks: /],
    ['check=freshness&check=freshness', /^check must be given once; got it 2 times/],
  ])('answers 400 for %s', async (query, error) => {
    const res = await call('GET', `/api/quality?${query}`);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(error);
  });
});
