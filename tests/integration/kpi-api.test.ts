// GET /api/kpi/{area} and GET /api/kpi/filtros through the local host's HTTP routes: malformed
// requests are 400s naming the parameter before any database is read; well-formed ones answer the
// contract's envelope (shared/kpi/contract.ts) over seeded data after one daily run.
import functions from '@azure/functions';
import type { LocalHost } from '../../dev/host.js';
import { kpiHandler } from '../../functions/kpi.js';
import { getDatabase } from '../../shared/db/connections.js';
import { KPI_AREAS, type KpiEnvelope, type KpiFilterOptions } from '../../shared/kpi/contract.js';
import { seedBase } from '../../shared/seed/base.js';
import { startTestHost, stopTestHost } from '../helpers/host.js';

const { HttpRequest, InvocationContext } = functions;

/** The handler alone, with no database configured anywhere: an answer proves nothing was read. */
async function handlerAnswer(path: string) {
  const url = new URL(`http://localhost${path}`);
  const area = decodeURIComponent(url.pathname.split('/')[3] ?? '');
  const saved = { ...process.env };
  process.env.DW_CONNECTION_STRING = 'postgres://nobody@127.0.0.1:1/no-database';
  try {
    return await kpiHandler(new HttpRequest({ method: 'GET', url: url.href, params: { area } }), new InvocationContext());
  } finally {
    process.env = saved;
  }
}

describe('GET /api/kpi/* refuses a malformed request before any query', () => {
  it.each([
    ['an unknown area', '/api/kpi/lucros', /unknown KPI area "lucros"; valid: vendas, metas, descontos, filtros/],
    ['an unknown parameter', '/api/kpi/vendas?vendedores=1', /unknown parameter "vendedores"; valid: from, to, categoria, estado, vendedor, campanha/],
    ['a parameter given twice', '/api/kpi/vendas?estado=SP&estado=RJ', /"estado" must be given once; got it 2 times/],
    ['an empty value', '/api/kpi/metas?from=', /from: empty value/],
    ['a non-date', '/api/kpi/vendas?from=ontem', /from: expected a date YYYY-MM-DD; got "ontem"/],
    ['a day not in the calendar', '/api/kpi/vendas?to=2026-02-30', /to: "2026-02-30" is not a day of the calendar/],
    ['from after to', '/api/kpi/descontos?from=2026-05-01&to=2026-04-30', /from \(2026-05-01\) is after to \(2026-04-30\)/],
    ['an id in exponent form', '/api/kpi/vendas?categoria=1e3', /categoria: expected an id, a whole number from 1; got "1e3"/],
    ['a negative id', '/api/kpi/vendas?vendedor=-4', /vendedor: expected an id/],
    ['an id with spaces', '/api/kpi/vendas?campanha=%2012', /campanha: expected an id/],
    ['a state in lower case', '/api/kpi/vendas?estado=sp', /estado: expected a UF, two capital letters; got "sp"/],
    ['SQL in a value', "/api/kpi/vendas?estado=SP'%20OR%201=1--", /estado: expected a UF/],
    ['parameters on the filter options', '/api/kpi/filtros?from=2026-01-01', /GET \/api\/kpi\/filtros takes no parameters; got "from"/],
  ])('%s', async (_name, path, message) => {
    const res = await handlerAnswer(path);
    expect(res.status).toBe(400);
    expect((res.jsonBody as { error: string }).error).toMatch(message);
    expect(res.headers).toMatchObject({ 'cache-control': 'no-store' });
  });

  it('quotes at most 40 characters of what the caller sent', async () => {
    const res = await handlerAnswer(`/api/kpi/vendas?from=${'9'.repeat(500)}`);
    expect(res.status).toBe(400);
    expect((res.jsonBody as { error: string }).error.length).toBeLessThan(200);
  });
});

describe('GET /api/kpi/* over a loaded warehouse', () => {
  let host: LocalHost;
  let options: KpiFilterOptions;

  beforeAll(async () => {
    ({ host } = await startTestHost({ container: 'raw-kpi-api-test', httpPort: 0, log: () => {} }));
    await seedBase(await getDatabase('oltp'), { scale: 0.01, seed: 3, asOf: new Date('2026-11-28T12:00:00Z') });
    await host.fireTimer('extract');
    await host.drain(500);
    options = (await get('/api/kpi/filtros')).body as KpiFilterOptions;
  }, 300_000);

  afterAll(() => stopTestHost());

  async function get(path: string): Promise<{ status: number; body: unknown; headers: Headers }> {
    const res = await fetch(`${host.url}${path}`);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }

  it('GET /api/kpi/filtros lists the values of every filter and the period', () => {
    expect(options.periodo.from! <= options.periodo.to!).toBe(true);
    expect(options.categorias[0]).toEqual({ id: expect.any(Number), nome: expect.any(String) });
    expect(options.vendedores[0]).toEqual({ id: expect.any(Number), nome: expect.any(String) });
    expect(options.campanhas[0]).toEqual({ id: expect.any(Number), nome: expect.any(String) });
    expect(options.estados[0]).toMatch(/^[A-Z]{2}$/);
  });

  it.each(KPI_AREAS)('GET /api/kpi/%s answers the envelope: certified time, last run, staleness, exact money', async (area) => {
    const { status, body, headers } = await get(`/api/kpi/${area}`);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    const answer = body as KpiEnvelope<{ tiles: Record<string, unknown> }>;
    expect(answer).toMatchObject({ area, filters: {}, certifiedTo: expect.any(String), lastRun: { status: 'succeeded' }, stale: false });
    for (const value of Object.values(answer.data.tiles)) {
      if (typeof value === 'string') expect(value).toMatch(/^-?\d+\.\d{4}$/);
      else if (value !== null) expect(Number.isInteger(value)).toBe(true);
    }
  });

  it('the filters are echoed as applied, and the function key in ?code= is not a filter', async () => {
    const vendedor = options.vendedores[0]!.id;
    const { status, body } = await get(`/api/kpi/vendas?vendedor=${vendedor}&from=${options.periodo.from}&code=some-function-key`);
    expect(status).toBe(200);
    expect((body as KpiEnvelope<unknown>).filters).toEqual({ vendedor, from: options.periodo.from });
  });

  it('a value that names nothing is a 400 naming the filter', async () => {
    for (const [path, field] of [
      ['/api/kpi/vendas?vendedor=999999', 'vendedor'],
      ['/api/kpi/descontos?campanha=999999', 'campanha'],
      ['/api/kpi/vendas?categoria=999999', 'categoria'],
      ['/api/kpi/vendas?estado=ZZ', 'estado'],
    ] as const) {
      const { status, body } = await get(path);
      expect({ path, status }).toEqual({ path, status: 400 });
      expect((body as { error: string }).error).toContain(field);
    }
  });

  it('the host answers 404 for a KPI path no route takes', async () => {
    expect((await get('/api/kpi')).status).toBe(404);
    expect((await get('/api/kpi/vendas/extra')).status).toBe(404);
  });
});
