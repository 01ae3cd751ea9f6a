// Write-audit-publish through the real pipeline: the checks of each phase run before the load
// commits (a blocking failure rolls it back and fails the run, naming the check), the
// whole-warehouse checks run after the fact load and hold the certified pointer back, and every
// result is appended to etl.quality_result.
import { sql, type Kysely } from 'kysely';
import type { WarehouseTables } from '../../shared/db/schema/index.js';
import { readClock } from '../../shared/db/portable-sql.js';
import { faults } from '../../shared/pipeline/load-dimensions.js';
import { factFaults } from '../../shared/pipeline/facts/steps.js';
import { readRunReport } from '../../shared/pipeline/run-report.js';
import { QUALITY_CHECKS } from '../../shared/quality/catalogue.js';
import { readCertified } from '../../shared/quality/certified.js';
import { checkWarehouseNow } from '../../shared/quality/check-now.js';
import { runResults } from '../../shared/quality/history.js';
import { runIncrementalDay } from '../../shared/seed/incremental.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, dimensionSnapshot, factSnapshot, pipelineFixture, type TestPipeline, seedBaseEndingYesterday } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const watermarks = (p: TestPipeline) => p.ctx.dw.db.selectFrom('etl.watermark').selectAll().orderBy('entity').execute();
const newestRun = (p: TestPipeline) => p.ctx.dw.db.selectFrom('etl.run').selectAll().orderBy('started_at', 'desc').executeTakeFirstOrThrow();

/** The run a fact step is loading (the newest). */
const runningRun = async (db: Kysely<WarehouseTables>) =>
  (await db.selectFrom('etl.run').select('run_id').orderBy('started_at', 'desc').executeTakeFirstOrThrow()).run_id;

/** Everything a failed gate must leave as it was. */
async function published(p: TestPipeline) {
  return { dimensions: await dimensionSnapshot(p.ctx), facts: await factSnapshot(p.ctx), watermarks: await watermarks(p) };
}

describe.each(testEngines())('quality gates on $name', (engine) => {
  const loaded = pipelineFixture(engine, async (p) => {
    // the base ends yesterday on the source's clock, so the incremental day is later than every base row
    await seedBaseEndingYesterday(p, { scale: 0.03, seed: 42 });
    const { runId } = await dailyRun(p);
    return { runId };
  });

  it('a passing run records every check of every phase, reports them and moves the certified pointer to it', async () => {
    const p = await loaded.shared();
    const results = await runResults(p.ctx.dw.db, p.setup.runId);
    expect(new Set(results.map((r) => r.phase))).toEqual(new Set(['dimensions', 'facts', 'warehouse']));
    // every check of the catalogue ran at least once, and none blocked
    expect(new Set(results.map((r) => r.name))).toEqual(new Set(QUALITY_CHECKS.map((c) => c.name)));
    expect(results.filter((r) => r.status === 'failed' || r.status === 'error')).toEqual([]);
    const report = await readRunReport(p.ctx.dw.db, p.setup.runId);
    expect(report?.status).toBe('succeeded');
    expect(report?.quality).toHaveLength(results.length);
    const certified = await readCertified(p.ctx.dw.db);
    expect(certified.runId).toBe(p.setup.runId);
    const low = (await watermarks(p)).map((w) => new Date(w.high_water).getTime());
    expect(certified.certifiedTo?.getTime()).toBe(Math.min(...low));
  });

  it('the whole catalogue (npm run dw:check) passes after the load and after the incremental day, and is recorded without a run', async () => {
    const p = await loaded.fork();
    try {
      const clean = async () =>
        (await checkWarehouseNow(p.ctx.dw.db, p.ctx.oltp.db, p.ctx.settings)).filter((r) => r.status === 'failed' || r.status === 'error');
      expect(await clean()).toEqual([]);
      await runIncrementalDay(p.ctx.oltp, { at: await readClock(p.ctx.oltp.db), seed: 42 });
      await dailyRun(p);
      expect(await clean()).toEqual([]);
      const recorded = await p.ctx.dw.db.selectFrom('etl.quality_result').select('check_name').where('run_id', 'is', null).execute();
      expect(recorded).toHaveLength(2 * new Set(QUALITY_CHECKS.map((c) => c.name)).size);
    } finally {
      await p.close();
    }
  });

  it("history accumulates: a second run appends its results and leaves the first run's untouched", async () => {
    const p = await loaded.fork();
    try {
      const first = await runResults(p.ctx.dw.db, p.setup.runId);
      await runIncrementalDay(p.ctx.oltp, { at: await readClock(p.ctx.oltp.db), seed: 42 });
      const { runId } = await dailyRun(p);
      expect(await runResults(p.ctx.dw.db, p.setup.runId)).toEqual(first);
      const second = await runResults(p.ctx.dw.db, runId);
      expect(second.length).toBeGreaterThan(0);
      const total = await p.ctx.dw.db
        .selectFrom('etl.quality_result')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(total.n)).toBe(first.length + second.length);
      expect((await readCertified(p.ctx.dw.db)).runId).toBe(runId);
    } finally {
      await p.close();
    }
  });

  it('a dimension load that breaks SCD2 integrity is rolled back, the run fails naming the check, and the fact load never starts', async () => {
    const p = await loaded.fork();
    try {
      const { plan } = await runIncrementalDay(p.ctx.oltp, { at: await readClock(p.ctx.oltp.db), seed: 42 });
      const mover = plan.moves[0]!.id;
      const before = await published(p);
      // a broken merge: the mover's new version overlaps the one it closes
      faults.afterMerge = async (entity, trx) => {
        if (entity !== 'clientes') return;
        await trx
          .updateTable('dw.dim_cliente')
          .set({ valid_from: new Date('2001-01-01T00:00:00.000Z') })
          .where('cliente_id', '=', mover)
          .where('is_current', '=', true)
          .execute();
      };
      try {
        await expect(dailyRun(p)).rejects.toThrow(/quality gate failed \(dimensions\): dim_cliente_scd2_integrity/);
      } finally {
        faults.afterMerge = undefined;
      }
      // the customers' load and everything after it are as before; the dimensions loaded before
      // the customers (each in its own transaction, each past its own gate) stay published
      const after = await published(p);
      expect(after.facts).toEqual(before.facts);
      expect(after.dimensions.dim_cliente).toEqual(before.dimensions.dim_cliente);
      expect(after.dimensions.dim_produto).toEqual(before.dimensions.dim_produto);
      const later = ['clientes', 'produtos', 'pedidos', 'itens_pedido', 'pagamentos', 'metas'];
      expect(after.watermarks.filter((w) => later.includes(w.entity))).toEqual(before.watermarks.filter((w) => later.includes(w.entity)));
      const run = await newestRun(p);
      expect(run.status).toBe('failed');
      expect(run.error).toContain('dim_cliente_scd2_integrity');
      expect(run.error).toContain(`cliente_id=${mover}`);
      const steps = await p.ctx.dw.db.selectFrom('etl.run_step').select(['step', 'entity', 'status']).where('run_id', '=', run.run_id).execute();
      expect(steps).toContainEqual({ step: 'dimensions', entity: 'clientes', status: 'failed' });
      expect(steps.filter((s) => s.step === 'facts')).toEqual([]);
      // the failed gate is in the history although its transaction rolled back
      const failed = (await runResults(p.ctx.dw.db, run.run_id)).filter((r) => r.status === 'failed');
      expect(failed.map((r) => r.name)).toEqual(['dim_cliente_scd2_integrity']);
      expect(failed[0]!.samples.join(' ')).toContain(`cliente_id=${mover}`);
      expect((await readCertified(p.ctx.dw.db)).runId).toBe(p.setup.runId);
    } finally {
      await p.close();
    }
  });

  it('a fact load that loses a staged row, writes a fact a cent off, duplicates a grain or keys a fact to the wrong version is rolled back: facts and watermarks unchanged', async () => {
    for (const [, check, breakIt] of [
      [
        'a staged item lost between the manifest and the load',
        'control_totals',
        (trx: Parameters<NonNullable<typeof factFaults.afterSales>>[0]) =>
          sql`delete from stg.itens_pedido where id = (select min(id) from stg.itens_pedido)`.execute(trx),
      ],
      [
        'a fact off by R$ 0.01',
        'fact_vendas_money_identities',
        (trx: Parameters<NonNullable<typeof factFaults.afterSales>>[0]) =>
          sql`update dw.fact_vendas set valor_liquido = valor_liquido + 0.01 where item_id = (select max(item_id) from dw.fact_vendas)`.execute(trx),
      ],
      [
        'a duplicated grain: a second fact for one order item',
        'fact_vendas_grain_unique',
        async (trx: Parameters<NonNullable<typeof factFaults.afterSales>>[0]) => {
          const { loaded_at: _, ...sale } = await trx
            .selectFrom('dw.fact_vendas')
            .selectAll()
            .where('run_id', '=', await runningRun(trx))
            .orderBy('item_id')
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('dw.fact_vendas')
            .values({ ...sale, item_id: sale.item_id + 1_000_000 })
            .execute();
        },
      ],
      [
        'a fact pointing to another customer’s version',
        'fact_vendas_point_in_time',
        async (trx: Parameters<NonNullable<typeof factFaults.afterSales>>[0]) => {
          const sale = await trx
            .selectFrom('dw.fact_vendas')
            .select(['item_id', 'cliente_id'])
            .where('run_id', '=', await runningRun(trx))
            .where('cliente_key', '<>', -1)
            .orderBy('item_id')
            .executeTakeFirstOrThrow();
          const other = await trx
            .selectFrom('dw.dim_cliente')
            .select('cliente_key')
            .where('cliente_id', '<>', sale.cliente_id!)
            .where('cliente_key', '>', 0)
            .orderBy('cliente_key')
            .executeTakeFirstOrThrow();
          await trx.updateTable('dw.fact_vendas').set({ cliente_key: other.cliente_key }).where('item_id', '=', sale.item_id).execute();
        },
      ],
    ] as const) {
      const p = await loaded.fork();
      try {
        await runIncrementalDay(p.ctx.oltp, { at: await readClock(p.ctx.oltp.db), seed: 42 });
        const facts = await factSnapshot(p.ctx);
        const marks = (await watermarks(p)).filter((w) => ['pedidos', 'itens_pedido'].includes(w.entity));
        factFaults.afterSales = async (trx) => {
          await breakIt(trx);
        };
        try {
          await expect(dailyRun(p)).rejects.toThrow(new RegExp(`quality gate failed \\(facts\\): .*${check}`));
        } finally {
          factFaults.afterSales = undefined;
        }
        expect(await factSnapshot(p.ctx)).toEqual(facts);
        expect((await watermarks(p)).filter((w) => ['pedidos', 'itens_pedido'].includes(w.entity))).toEqual(marks);
        const run = await newestRun(p);
        expect(run.status).toBe('failed');
        expect(run.error).toContain(check);
        expect((await runResults(p.ctx.dw.db, run.run_id)).filter((r) => r.status === 'failed').map((r) => r.name)).toContain(check);
        expect((await readCertified(p.ctx.dw.db)).runId).toBe(p.setup.runId);
      } finally {
        await p.close();
      }
    }
  });

  it('a warehouse that no longer equals the source to the cent fails the run after the fact load and keeps the certified pointer', async () => {
    const p = await loaded.fork();
    try {
      await runIncrementalDay(p.ctx.oltp, { at: await readClock(p.ctx.oltp.db), seed: 42 });
      // a sale the next run does not touch (neither its item nor its order changed since the last
      // run) changes by R$ 0.01 in gross and net alike: every row-level identity still holds
      const low = new Date(Math.min(...(await watermarks(p)).map((w) => new Date(w.high_water).getTime())));
      const untouched = await p.ctx.oltp.db
        .selectFrom('oltp.itens_pedido as i')
        .innerJoin('oltp.pedidos as o', 'o.id', 'i.pedido_id')
        .select('i.id')
        .where('i.updated_at', '<=', low)
        .where('o.updated_at', '<=', low)
        .where('i.deleted_at', 'is', null)
        .orderBy('i.id')
        .executeTakeFirstOrThrow();
      const victim = await p.ctx.dw.db
        .selectFrom('dw.fact_vendas')
        .select(['item_id', 'data_pedido'])
        .where('item_id', '=', untouched.id)
        .executeTakeFirstOrThrow();
      await sql`update dw.fact_vendas set valor_bruto = valor_bruto + 0.01, valor_liquido = valor_liquido + 0.01, margem = margem + 0.01 where item_id = ${victim.item_id}`.execute(
        p.ctx.dw.db,
      );
      await expect(dailyRun(p)).rejects.toThrow(/quality gate failed \(warehouse\): .*reconcile_sales/);
      const run = await newestRun(p);
      expect(run.status).toBe('failed');
      const failed = (await runResults(p.ctx.dw.db, run.run_id)).filter((r) => r.status === 'failed');
      expect(failed.map((r) => r.name)).toEqual(['reconcile_sales']);
      expect(failed[0]!.samples.join(' ')).toContain(victim.data_pedido!.toISOString().slice(0, 7));
      // the facts of the run are published (the fact load committed), but not certified
      expect((await readCertified(p.ctx.dw.db)).runId).toBe(p.setup.runId);
    } finally {
      await p.close();
    }
  });
});
