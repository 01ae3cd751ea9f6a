// Large fact loads check their foreign keys in one pass before commit instead of row by row
// (facts/foreign-keys.ts). What users care about: the same facts either way, integrity still
// guaranteed (a fact pointing to no member fails the load and leaves everything as it was), and
// the constraints back exactly as the migrations made them.
import { sql, type Kysely } from 'kysely';
import { readClock } from '../../shared/db/portable-sql.js';
import { FACT_FOREIGN_KEYS } from '../../shared/pipeline/facts/foreign-keys.js';
import { factFaults } from '../../shared/pipeline/facts/steps.js';
import { loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { QUEUES } from '../../shared/pipeline/messages.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { runIncrementalDay } from '../../shared/seed/incremental.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, factSnapshot, testPipeline, type TestPipeline, seedBaseEndingYesterday } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

/** The fact tables' foreign keys as the database has them: name, column, referenced table and column, definition. */
async function foreignKeys(db: Kysely<any>): Promise<string[]> {
  const r = await sql<{ line: string }>`
    select c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) || ' ' || c.convalidated as line
      from pg_constraint c
     where c.contype = 'f' and c.conrelid::regclass::text like 'dw.fact_%'
     order by 1`.execute(db);
  return r.rows.map((row) => row.line);
}

/** The fact tables whose keys the run validated in bulk, from its JSON report. */
async function bulkTables(p: TestPipeline, runId: string): Promise<string[] | undefined> {
  const run = await p.ctx.dw.db.selectFrom('etl.run').select('report').where('run_id', '=', runId).executeTakeFirstOrThrow();
  return (JSON.parse(run.report ?? '{}') as { foreignKeysValidatedInBulk?: string[] }).foreignKeysValidatedInBulk;
}

/** The warehouse and ODS tables someone vacuumed and analyzed by hand (autovacuum records itself in other columns). */
async function vacuumedByHand(db: Kysely<any>): Promise<string[]> {
  const r = await sql<{ table: string }>`
    select schemaname || '.' || relname as table from pg_stat_user_tables
     where schemaname in ('dw', 'ods') and last_vacuum is not null and last_analyze is not null
     order by 1`.execute(db);
  return r.rows.map((row) => row.table);
}

/** Rows left in staging and the sales load's work tables. */
async function leftInStaging(db: Kysely<any>): Promise<number> {
  let n = 0;
  for (const table of ['stg.pedidos', 'stg.itens_pedido', 'stg.clientes', 'work.venda', 'work.affected_order'])
    n += Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]!.n);
  return n;
}

const watermarks = (p: TestPipeline) => p.ctx.dw.db.selectFrom('etl.watermark').selectAll().orderBy('entity').execute();

// PostgreSQL's catalog names the constraints; SQL Server generates its own names (and the bulk path there is NOCHECK / WITH CHECK)
describe.each(testEngines().filter((e) => e.name !== 'mssql'))('bulk foreign-key validation on $name', (engine) => {
  it('gives the same facts as row-by-row checks for a full load, an incremental day and a backfill, and puts the constraints back as they were', async () => {
    // BULK_FK_MIN_ROWS=1: every fact step with staged rows takes the bulk path; the default keeps these small runs row by row
    const bulk = await testPipeline(engine, { BULK_FK_MIN_ROWS: '1' });
    const perRow = await testPipeline(engine);
    try {
      const migrated = await foreignKeys(bulk.ctx.dw.db);
      // the list the code drops and re-adds is exactly what the migrations created
      expect(migrated.map((l) => l.split(' ').slice(0, 2).join(' ')).sort()).toEqual(
        Object.entries(FACT_FOREIGN_KEYS)
          .flatMap(([table, keys]) => keys.map((k) => `${table} ${k.name}`))
          .sort(),
      );
      for (const p of [bulk, perRow]) await seedBaseEndingYesterday(p, { scale: 0.01, seed: 7 });
      const runs = await Promise.all([dailyRun(bulk), dailyRun(perRow)]);
      expect(await bulkTables(bulk, runs[0].runId)).toEqual(['dw.fact_vendas', 'dw.fact_descontos', 'dw.fact_metas']);
      expect(await bulkTables(perRow, runs[1].runId)).toBeUndefined();
      // the bulk load left what it wrote vacuumed and analyzed (statistics and visibility map ready for the checks and the
      // KPI views; nothing left for autovacuum to catch up on during the next run) and staging empty
      expect(await vacuumedByHand(bulk.ctx.dw.db)).toEqual([
        'dw.dim_campanha',
        'dw.dim_categoria',
        'dw.dim_cliente',
        'dw.dim_data',
        'dw.dim_produto',
        'dw.dim_vendedor',
        'dw.fact_descontos',
        'dw.fact_metas',
        'dw.fact_vendas',
        'ods.itens_pedido',
        'ods.pagamentos',
        'ods.pedidos',
      ]);
      expect(await leftInStaging(bulk.ctx.dw.db)).toBe(0);
      expect(await vacuumedByHand(perRow.ctx.dw.db)).toEqual([]);
      expect(await leftInStaging(perRow.ctx.dw.db)).toBeGreaterThan(0);
      expect(await factSnapshot(bulk.ctx)).toEqual(await factSnapshot(perRow.ctx));
      expect(await foreignKeys(bulk.ctx.dw.db)).toEqual(migrated);

      // the same day of changes on both sources (the day's rows depend on its instant)
      const at = await readClock(bulk.ctx.oltp.db);
      for (const p of [bulk, perRow]) await runIncrementalDay(p.ctx.oltp, { at, seed: 7 });
      await Promise.all([dailyRun(bulk), dailyRun(perRow)]);
      expect(await factSnapshot(bulk.ctx)).toEqual(await factSnapshot(perRow.ctx));

      for (const p of [bulk, perRow]) {
        const to = await readClock(p.ctx.oltp.db);
        const backfill = await runExtract(p.ctx, { kind: 'backfill', window: { from: new Date(to.getTime() - 40 * 86_400_000), to } });
        if (backfill.status !== 'started') throw new Error('skipped');
        await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
        await loadFacts(p.ctx, await p.receive(QUEUES.facts));
      }
      expect(await factSnapshot(bulk.ctx)).toEqual(await factSnapshot(perRow.ctx));
      expect(await foreignKeys(bulk.ctx.dw.db)).toEqual(migrated);
    } finally {
      await bulk.close();
      await perRow.close();
    }
    // two pipelines, three runs each
  }, 300_000);

  it('fails a bulk load whose fact points to a missing member, leaving facts, watermarks and constraints as they were; the retry loads it', async () => {
    const p = await testPipeline(engine, { BULK_FK_MIN_ROWS: '1' });
    try {
      await seedBaseEndingYesterday(p, { scale: 0.01, seed: 7 });
      await dailyRun(p);
      await runIncrementalDay(p.ctx.oltp, { at: await readClock(p.ctx.oltp.db), seed: 7 });
      const extract = await runExtract(p.ctx);
      if (extract.status !== 'started') throw new Error('skipped');
      await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
      const message = await p.receive(QUEUES.facts);
      const before = { facts: await factSnapshot(p.ctx), watermarks: await watermarks(p), keys: await foreignKeys(p.ctx.dw.db) };

      // an orphan key written while the foreign keys are suspended
      factFaults.afterSales = async (trx) => {
        const first = await trx
          .selectFrom('dw.fact_vendas')
          .select((eb) => eb.fn.min('item_id').as('id'))
          .executeTakeFirstOrThrow();
        await trx.updateTable('dw.fact_vendas').set({ produto_key: 987_654_321 }).where('item_id', '=', first.id).execute();
      };
      try {
        await expect(loadFacts(p.ctx, message)).rejects.toThrow(
          /dw\.fact_vendas: a fact loaded in bulk points to a dimension member that does not exist.*produto_key/,
        );
      } finally {
        factFaults.afterSales = undefined;
      }
      expect({ facts: await factSnapshot(p.ctx), watermarks: await watermarks(p), keys: await foreignKeys(p.ctx.dw.db) }).toEqual(before);
      const failed = await p.ctx.dw.db.selectFrom('etl.run').select(['status', 'error']).where('run_id', '=', extract.runId).executeTakeFirstOrThrow();
      expect(failed.status).toBe('failed');
      expect(failed.error).toContain('does not exist');

      await loadFacts(p.ctx, message);
      const run = await p.ctx.dw.db.selectFrom('etl.run').select('status').where('run_id', '=', extract.runId).executeTakeFirstOrThrow();
      expect(run.status).toBe('succeeded');
      expect(await foreignKeys(p.ctx.dw.db)).toEqual(before.keys);
    } finally {
      await p.close();
    }
  });
});
