// Staging and the sales load's work tables are emptied and refilled by every run; the planner must
// see this run's rows, not the last full load's or none (analyzeTable in portable-sql.ts). What
// users care about: a daily run plans its statements for a daily batch. Stale statistics turned a
// two-product re-key into a scan of the whole sales fact, and the first daily run after a full
// load into the slowest of all.
import { sql, type Kysely } from 'kysely';
import { readClock } from '../../shared/db/portable-sql.js';
import { runIncrementalDay } from '../../shared/seed/incremental.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, testPipeline, seedBaseEndingYesterday } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

/** Tables a fact load refills, with the rows they hold and the rows the planner believes they hold. */
const REFILLED = ['stg.pedidos', 'stg.itens_pedido', 'stg.produtos', 'stg.clientes', 'work.affected_order', 'work.venda'];

async function planned(db: Kysely<any>): Promise<{ table: string; rows: number; planned: number }[]> {
  const out = [];
  for (const table of REFILLED) {
    const [schema, name] = table.split('.');
    const rows = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    const stats = await sql<{ reltuples: number }>`
      select c.reltuples from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema} and c.relname = ${name}`.execute(db);
    out.push({ table, rows: Number(rows.rows[0]!.n), planned: Number(stats.rows[0]!.reltuples) });
  }
  return out;
}

// PostgreSQL's catalog (pg_class) is what this reads; SQL Server's UPDATE STATISTICS is checked in the golden T-SQL
describe.each(testEngines().filter((e) => e.name !== 'mssql'))('planner statistics after each load on $name', (engine) => {
  it('describe the daily batch after a full load, not the full load', async () => {
    const p = await testPipeline(engine);
    try {
      await seedBaseEndingYesterday(p, { scale: 0.01, seed: 7 });
      await dailyRun(p);
      const full = await planned(p.ctx.dw.db);
      expect(full.find((t) => t.table === 'stg.pedidos')!.rows).toBeGreaterThan(100);

      await runIncrementalDay(p.ctx.oltp, { at: await readClock(p.ctx.oltp.db), seed: 7 });
      await dailyRun(p);
      const daily = await planned(p.ctx.dw.db);
      for (const t of daily) {
        expect(t.rows).toBeGreaterThan(0);
        expect(t.rows).toBeLessThan(full.find((f) => f.table === t.table)!.rows);
        // ANALYZE of a small table reads every row: the estimate is the count
        expect({ table: t.table, planned: t.planned }).toEqual({ table: t.table, planned: t.rows });
      }
    } finally {
      await p.close();
    }
  });
});

// A planner setting rather than statistics: PostgreSQL's JIT compiled the pipeline's daily
// statements (costed high, cheap to run) for longer than they ran.
const postgres = testEngines().find((e) => e.name === 'postgres');
(postgres ? describe : describe.skip)('JIT on PostgreSQL', () => {
  it('is off in the sessions of the source and the warehouse', async () => {
    const p = await testPipeline(postgres!);
    try {
      for (const db of [p.ctx.oltp.db, p.ctx.dw.db]) expect((await sql<{ jit: string }>`show jit`.execute(db)).rows[0]!.jit).toBe('off');
    } finally {
      await p.close();
    }
  });
});
