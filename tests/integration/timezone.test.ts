// The same source loaded into databases whose own time zone is UTC and America/Sao_Paulo gives
// (jest sandboxes process.env, so the process TZ is not switched here: utcParameter in
// shared/db/postgres.ts is what makes the process zone irrelevant) byte-identical dimensions and facts (the SCD2
// beginning of time included: pg used to send 1900-01-01 with a minutes-only offset, 28 s off).
import { sql } from 'kysely';
import { seedBase } from '../../shared/seed/base.js';
import { testEngines } from '../helpers/engines.js';
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
});
