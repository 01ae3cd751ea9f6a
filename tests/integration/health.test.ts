// GET /api/health: up or degraded, schema version, last run, freshness and each database's
// answer, on every engine; and never a host, user or database name nor a driver's error text,
// which go to the server's log instead.
import functions from '@azure/functions';
import { closeAllDatabases } from '../../shared/db/connections.js';
import { migratorFor } from '../../shared/db/migrate.js';
import { expectedVersion } from '../../shared/db/schema-version.js';
import { MIGRATIONS } from '../../sql/migrations/index.js';
import { healthHandler } from '../../functions/health.js';
import { freshPgliteDataDir, testEngines, type FreshDatabase, type TestEngine } from '../helpers/engines.js';

const { HttpRequest, InvocationContext } = functions;

interface HealthBody {
  status: string;
  ok: boolean;
  schema: { version: string | null; expected: string; current: boolean };
  lastRun: { status: string; finishedAt: string | null } | null;
  freshness: { newestWatermark: string; lagMinutes: number | null } | null;
  dependencies: Record<string, unknown>[];
}

async function askHealth(): Promise<{ status: number; body: HealthBody; text: string; logs: string }> {
  const logs: string[] = [];
  const context = new InvocationContext({ logHandler: (_level, ...args) => logs.push(args.join(' ')) });
  const res = await healthHandler(new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }), context);
  return { status: res.status!, body: res.jsonBody as HealthBody, text: JSON.stringify(res.jsonBody), logs: logs.join('\n') };
}

const saved = { ...process.env };
let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await closeAllDatabases();
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  process.env = { ...saved };
});

/** A connection setting for a new database migrated for `role`, and that database opened by the test (to write a run into it). */
async function freshSetting(engine: TestEngine, role: 'oltp' | 'dw'): Promise<{ setting: string; fresh?: FreshDatabase }> {
  if (engine.name === 'pglite') {
    // a copy of the migrated template; the handler opens it itself (one PGlite instance per folder)
    const { dataDir, remove } = await freshPgliteDataDir(role);
    cleanups.push(remove);
    return { setting: `pglite:${dataDir}` };
  }
  const fresh = await engine.fresh(role);
  cleanups.push(() => fresh.close());
  if (fresh.target.engine !== 'postgres') throw new Error(`no setting for ${fresh.target.engine}`);
  return { setting: fresh.target.url, fresh };
}

describe.each(testEngines().filter((e) => e.name !== 'mssql'))('GET /api/health on $name', (engine) => {
  it('answers 200 up with the schema version, no run yet, and both databases reachable', async () => {
    process.env.OLTP_CONNECTION_STRING = (await freshSetting(engine, 'oltp')).setting;
    process.env.DW_CONNECTION_STRING = (await freshSetting(engine, 'dw')).setting;
    const { status, body, text } = await askHealth();
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'up',
      ok: true,
      schema: { version: expectedVersion('dw'), expected: expectedVersion('dw'), current: true },
      lastRun: null,
      freshness: null,
      dependencies: [
        { name: 'oltp', ok: true, latencyMs: expect.any(Number) },
        { name: 'dw', ok: true, latencyMs: expect.any(Number) },
      ],
    });
    // no engine, location or database name: an anonymous caller learns nothing about the servers
    expect(text).not.toMatch(/pglite|postgres|127\.0\.0\.1|localhost|t_[0-9a-f]{12}|pglite-test-/);
  });

  it('reports the last run and the freshness of the newest watermark', async () => {
    process.env.OLTP_CONNECTION_STRING = (await freshSetting(engine, 'oltp')).setting;
    const dwSetting = await freshSetting(engine, 'dw');
    process.env.DW_CONNECTION_STRING = dwSetting.setting;
    const finishedAt = new Date(Date.now() - 30 * 60_000);
    const highWater = new Date(Date.now() - 90 * 60_000);
    const write = async (db: FreshDatabase['database']['db']) => {
      await db
        .insertInto('etl.run')
        .values({ run_id: 'r-health-1', kind: 'daily', status: 'succeeded', started_at: new Date(finishedAt.getTime() - 60_000), finished_at: finishedAt })
        .execute();
      await db.insertInto('etl.watermark').values({ entity: 'pedidos', high_water: highWater, run_id: 'r-health-1' }).execute();
    };
    if (dwSetting.fresh) await write(dwSetting.fresh.database.db);
    else {
      // PGlite: through the handler's own connection (one instance per folder)
      const { getWarehouseDatabase } = await import('../../shared/db/connections.js');
      await write((await getWarehouseDatabase()).db);
    }
    const { status, body } = await askHealth();
    expect(status).toBe(200);
    expect(body.lastRun).toEqual({ status: 'succeeded', finishedAt: finishedAt.toISOString() });
    expect(body.freshness).toEqual({ newestWatermark: highWater.toISOString(), lagMinutes: expect.any(Number) });
    // measured on the source's clock: the same machine here, so about 90 minutes
    expect(body.freshness!.lagMinutes).toBeGreaterThanOrEqual(89.5);
    expect(body.freshness!.lagMinutes).toBeLessThan(95);
  });

  it('answers 503 degraded for an unreachable warehouse, naming neither host, user, database nor the driver error', async () => {
    process.env.OLTP_CONNECTION_STRING = (await freshSetting(engine, 'oltp')).setting;
    process.env.DW_CONNECTION_STRING = 'postgres://etl_health_user:s3cret@warehouse-db-health.invalid:5432/dw_health_name';
    const { status, body, text, logs } = await askHealth();
    expect(status).toBe(503);
    expect(body).toMatchObject({
      status: 'degraded',
      ok: false,
      schema: { version: null, expected: expectedVersion('dw'), current: false },
      lastRun: null,
      freshness: null,
      dependencies: [
        { name: 'oltp', ok: true },
        { name: 'dw', ok: false },
      ],
    });
    expect(Object.keys(body.dependencies[1]!).sort()).toEqual(['latencyMs', 'name', 'ok']);
    for (const secret of ['warehouse-db-health', 'etl_health_user', 's3cret', 'dw_health_name', 'ENOTFOUND', 'getaddrinfo', 'Cannot connect']) {
      expect(text).not.toContain(secret);
    }
    // the reason is in the server's log (without the password)
    expect(logs).toMatch(/the dw database is unavailable/);
    expect(logs).toMatch(/ENOTFOUND|getaddrinfo/);
    expect(logs).not.toContain('s3cret');
  });
});

const postgresEngine = testEngines().find((e) => e.name === 'postgres');
(postgresEngine ? describe : describe.skip)('GET /api/health on a PostgreSQL server that refuses', () => {
  it('a login the server refuses: degraded, without the user name, database name or the server message', async () => {
    const engine = postgresEngine!;
    process.env.OLTP_CONNECTION_STRING = (await freshSetting(engine, 'oltp')).setting;
    const url = new URL(process.env.TEST_POSTGRES_URL!);
    url.username = 'etl_no_such_login';
    url.password = 's3cret';
    url.pathname = '/dw_no_such_database';
    process.env.DW_CONNECTION_STRING = url.toString();
    const { status, body, text, logs } = await askHealth();
    expect(status).toBe(503);
    expect(body.dependencies).toEqual([
      { name: 'oltp', ok: true, latencyMs: expect.any(Number) },
      { name: 'dw', ok: false, latencyMs: expect.any(Number) },
    ]);
    for (const secret of ['etl_no_such_login', 'dw_no_such_database', 's3cret', url.hostname, 'does not exist', 'authentication'])
      expect(text).not.toContain(secret);
    expect(logs).toMatch(/etl_no_such_login|dw_no_such_database/); // the server's message, in the log only
  });
});

(postgresEngine ? describe : describe.skip)('GET /api/health in Azure (PostgreSQL)', () => {
  it('a warehouse behind the code: 503 degraded with both versions, and no migration runs', async () => {
    const engine = postgresEngine!;
    const before = Object.keys(MIGRATIONS.dw).sort().at(-2)!;
    const dw = await engine.fresh('empty');
    cleanups.push(() => dw.close());
    await migratorFor(dw.database, ['dw']).migrateTo(before);
    if (dw.target.engine !== 'postgres') throw new Error('a PostgreSQL database was expected');
    Object.assign(process.env, {
      WEBSITE_SITE_NAME: 'vendas-analytics-test',
      OLTP_CONNECTION_STRING: (await freshSetting(engine, 'oltp')).setting,
      DW_CONNECTION_STRING: dw.target.url,
      AzureWebJobsStorage__accountName: 'vendasraw',
      AzureWebJobsStorage__credential: 'managedidentity',
    });
    delete process.env.AzureWebJobsStorage;
    const { status, body, logs } = await askHealth();
    expect(status).toBe(503);
    expect(body).toMatchObject({
      status: 'degraded',
      schema: { version: before, expected: expectedVersion('dw'), current: false },
      dependencies: [
        { name: 'oltp', ok: true },
        { name: 'dw', ok: true },
      ],
    });
    expect(logs).toMatch(/the warehouse schema is behind the code/);
    // still behind: health never migrates
    const recorded = await dw.database.db.selectFrom('kysely_migration').select('name').execute();
    expect(
      recorded
        .map((r: { name: string }) => r.name)
        .sort()
        .at(-1),
    ).toBe(before);
  });
});
