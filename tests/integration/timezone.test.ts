// The same source loaded into databases whose own time zone is UTC and America/Sao_Paulo gives
// byte-identical dimensions and facts (the SCD2 beginning of time included: pg used to send
// 1900-01-01 with a minutes-only offset, 28 s off). Jest sandboxes the process time zone (TZ is read
// at process start), so the second case runs the pipeline as a child process
// (tests/helpers/fault-pipeline-child.ts, what `npm run pipeline` does) with TZ=America/Sao_Paulo
// into databases set to Asia/Tokyo, and compares it with a child in UTC into UTC databases.
import { sql } from 'kysely';
import { startAzurite } from '../../dev/azurite.js';
import type { Database } from '../../shared/db/database.js';
import type { OltpTables, WarehouseTables } from '../../shared/db/schema/index.js';
import type { PipelineContext } from '../../shared/pipeline/context.js';
import { seedBase } from '../../shared/seed/base.js';
import { testEngines, type FreshDatabase } from '../helpers/engines.js';
import { startPipelineChild, stopAllChildren } from '../helpers/fault-child.js';
import { dailyRun, dimensionSnapshot, factSnapshot, testPipeline } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const postgresEngine = testEngines().find((e) => e.name === 'postgres');

(postgresEngine ? describe : describe.skip)('time zones (PostgreSQL server)', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  async function load(zone: string) {
    process.env.TZ = zone;
    const p = await testPipeline(postgresEngine!);
    try {
      for (const d of [p.ctx.oltp, p.ctx.dw]) {
        const name = (await sql<{ name: string }>`select current_database() as name`.execute(d.db)).rows[0]!.name;
        // DDL takes no parameters: the zone is an identifier-like constant of this test
        await sql`alter database ${sql.id(name)} set timezone = ${sql.lit(zone)}`.execute(d.db);
      }
      await seedBase(p.ctx.oltp, { scale: 0.02, seed: 7, asOf: new Date('2024-06-30T00:00:00.000Z') });
      await dailyRun(p);
      return { dims: await dimensionSnapshot(p.ctx), facts: await factSnapshot(p.ctx) };
    } finally {
      await p.close();
    }
  }

  it('a run into databases in America/Sao_Paulo equals a run into UTC databases, byte for byte', async () => {
    const utc = await load('UTC');
    const saoPaulo = await load('America/Sao_Paulo');
    expect(utc.dims.dim_cliente!.length).toBeGreaterThan(0);
    expect(utc.facts['dw.fact_vendas']!.length).toBeGreaterThan(0);
    expect(JSON.stringify(saoPaulo.dims)).toBe(JSON.stringify(utc.dims));
    expect(JSON.stringify(saoPaulo.facts)).toBe(JSON.stringify(utc.facts));
    expect(utc.dims.dim_cliente!.some((r) => (r as { valid_from: string }).valid_from === '1900-01-01T00:00:00.000Z')).toBe(true);
  }, 240_000);

  /** One pipeline run in a child process with the process zone `processZone`, into databases whose own zone is `databaseZone`. */
  async function loadInChild(processZone: string, databaseZone: string) {
    const fresh: FreshDatabase[] = [];
    const azurite = await startAzurite({ inMemory: true });
    try {
      for (const role of ['oltp', 'dw'] as const) fresh.push(await postgresEngine!.fresh(role));
      const [oltp, dw] = fresh as [FreshDatabase, FreshDatabase];
      for (const d of fresh) {
        const name = (await sql<{ name: string }>`select current_database() as name`.execute(d.database.db)).rows[0]!.name;
        await sql`alter database ${sql.id(name)} set timezone = ${sql.lit(databaseZone)}`.execute(d.database.db);
      }
      await seedBase(oltp.database as Database<OltpTables>, { scale: 0.02, seed: 7, asOf: new Date('2024-06-30T00:00:00.000Z') });
      const url = (f: FreshDatabase) => (f.target.engine === 'postgres' ? f.target.url : '');
      const child = startPipelineChild({
        TZ: processZone,
        OLTP_CONNECTION_STRING: url(oltp),
        DW_CONNECTION_STRING: url(dw),
        AzureWebJobsStorage: azurite.connectionString,
      });
      const exit = await child.exited(180_000);
      expect({ exit, status: child.report()?.status }).toEqual({ exit: { code: 0, signal: null }, status: 'succeeded' });
      const ctx = { dw: dw.database as Database<WarehouseTables> } as PipelineContext;
      return { tz: /FAULT-TZ (\S+ -?\d+)/.exec(child.output())?.[1], dims: await dimensionSnapshot(ctx), facts: await factSnapshot(ctx) };
    } finally {
      await stopAllChildren();
      for (const d of fresh) await d.close();
      await azurite.stop();
    }
  }

  it('a pipeline process in TZ=America/Sao_Paulo into Asia/Tokyo databases equals a UTC process into UTC databases, byte for byte', async () => {
    const utc = await loadInChild('UTC', 'UTC');
    const zoned = await loadInChild('America/Sao_Paulo', 'Asia/Tokyo');
    // the zone took effect in the child: UTC-3 at 1970 is an offset of +180 minutes
    expect([utc.tz, zoned.tz]).toEqual(['UTC 0', 'America/Sao_Paulo 180']);
    expect(utc.dims.dim_cliente!.length).toBeGreaterThan(0);
    expect(utc.facts['dw.fact_vendas']!.length).toBeGreaterThan(0);
    expect(JSON.stringify(zoned.dims)).toBe(JSON.stringify(utc.dims));
    expect(JSON.stringify(zoned.facts)).toBe(JSON.stringify(utc.facts));
  }, 420_000);
});
