import functions from '@azure/functions';
import { closeAllDatabases } from '../../shared/db/connections.js';
import { healthHandler } from '../../functions/health.js';
import { freshPgliteDataDir } from '../helpers/engines.js';

const { HttpRequest, InvocationContext } = functions;

describe('GET /api/health', () => {
  const saved = { ...process.env };
  let removeDataDirs: (() => void)[] = [];
  /** a connection string to a new migrated PGlite database (a copy: faster than pglite:memory) */
  const freshPglite = async (role: 'oltp' | 'dw') => {
    const { dataDir, remove } = await freshPgliteDataDir(role);
    removeDataDirs.push(remove);
    return `pglite:${dataDir}`;
  };
  afterEach(async () => {
    await closeAllDatabases();
    for (const remove of removeDataDirs) remove();
    removeDataDirs = [];
    process.env = { ...saved };
  });

  it('answers 200 with both databases reachable', async () => {
    process.env.OLTP_CONNECTION_STRING = await freshPglite('oltp');
    process.env.DW_CONNECTION_STRING = await freshPglite('dw');
    const res = await healthHandler(new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }), new InvocationContext());
    expect(res.status).toBe(200);
    const body = res.jsonBody as { ok: boolean; dependencies: { name: string; ok: boolean; engine: string }[] };
    expect(body.ok).toBe(true);
    expect(body.dependencies.map((d) => [d.name, d.ok, d.engine])).toEqual([
      ['oltp', true, 'pglite'],
      ['dw', true, 'pglite'],
    ]);
  });

  it('answers 503 naming the unreachable database without leaking its password', async () => {
    process.env.OLTP_CONNECTION_STRING = await freshPglite('oltp');
    process.env.DW_CONNECTION_STRING = 'postgres://etl:s3cret@127.0.0.1:1/dw';
    const logs: string[] = [];
    const context = new InvocationContext({ logHandler: (_level, ...args) => logs.push(args.join(' ')) });
    const res = await healthHandler(new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }), context);
    expect(res.status).toBe(503);
    const body = res.jsonBody as { ok: boolean; dependencies: { name: string; ok: boolean; error?: string }[] };
    expect(body.dependencies.find((d) => d.name === 'dw')).toMatchObject({
      ok: false,
      error: expect.stringContaining('Cannot connect to postgres (127.0.0.1:1/dw)'),
    });
    expect(JSON.stringify(body) + logs.join('\n')).not.toContain('s3cret');
  });
});
