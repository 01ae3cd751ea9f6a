// The first half of the daily pipeline against real Azurite and real databases: extract by
// watermark into Blob batches, then the dimension load through its queue.
import { sql } from 'kysely';
import { readClock } from '../../shared/db/portable-sql.js';
import { importSuperstore } from '../../shared/import/superstore.js';
import { faults, loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { QUEUES } from '../../shared/pipeline/messages.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { superstorePath } from '../helpers/datasets.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, dimensionSnapshot, pipelineFixture, testPipeline } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

const SUPERSTORE = superstorePath();
const ALL_ENTITIES = ['campanhas', 'categorias', 'clientes', 'itens_pedido', 'metas', 'pagamentos', 'pedidos', 'produtos', 'vendedores'];

afterAll(() => stopStorage());

const utcDate = (d: Date) => d.toISOString().slice(0, 10);

describe.each(testEngines())('extract and dimension load on $name', (engine) => {
  // Once per engine: the Superstore file imported two hours before the source's clock, then the
  // first daily run. Each test reads or changes a copy of that state of its own.
  const loaded = pipelineFixture(engine, async (p) => {
    await importSuperstore(p.ctx.oltp, SUPERSTORE, { at: new Date((await readClock(p.ctx.oltp.db)).getTime() - 2 * 3600_000) });
    // the UTC dates on the source's clock just before and just after the run (the same date except across midnight)
    const dateBefore = utcDate(await readClock(p.ctx.oltp.db));
    const run = await dailyRun(p);
    return { ...run, runDates: [dateBefore, utcDate(await readClock(p.ctx.oltp.db))] };
  });

  it('loads every dimension member once, with the unknown member, and advances the watermarks', async () => {
    const p = await loaded.shared();
    const { runId, rows, reports, runDates } = p.setup;
    expect(rows).toMatchObject({ clientes: 793, produtos: 1862, vendedores: 1, categorias: 20, campanhas: 0 });
    const counts = async (table: string, where?: string) =>
      Number(
        (await sql<{ n: number }>`select count(*) as n from ${sql.table(`dw.${table}`)} ${where ? sql.raw(`where ${where}`) : sql``}`.execute(p.ctx.dw.db))
          .rows[0]!.n,
      );
    expect(await counts('dim_cliente', 'cliente_key > 0')).toBe(793);
    expect(await counts('dim_cliente', 'cliente_key = -1')).toBe(1);
    expect(await counts('dim_produto', 'produto_key > 0')).toBe(1862);
    expect(await counts('dim_categoria', 'categoria_key > 0')).toBe(20);
    // the calendar covers every day from the first order (3 Jan 2014) to the day of the run, without gaps
    const span = await p.ctx.dw.db
      .selectFrom('dw.dim_data')
      .select((eb) => [eb.fn.min('data').as('lo'), eb.fn.max('data').as('hi'), eb.fn.countAll().as('n')])
      .where('data_key', '>', 0)
      .executeTakeFirstOrThrow();
    expect(span.lo).toBe('2014-01-03');
    expect(runDates).toContain(span.hi);
    expect(Number(span.n)).toBe((Date.parse(String(span.hi)) - Date.parse(String(span.lo))) / 86_400_000 + 1);
    for (const r of reports) expect(r.read).toBe(r.inserted + r.updated + r.unchanged + r.rejected);
    const watermarks = await p.ctx.dw.db.selectFrom('etl.watermark').select(['entity', 'run_id']).orderBy('entity').execute();
    expect(watermarks).toEqual(ALL_ENTITIES.map((entity) => ({ entity, run_id: runId })));
    const run = await p.ctx.dw.db.selectFrom('etl.run').selectAll().where('run_id', '=', runId).executeTakeFirstOrThrow();
    expect(run.status).toBe('succeeded');
    // categories resolved on products, parents on categories
    const chair = await p.ctx.dw.db
      .selectFrom('dw.dim_produto')
      .select(['categoria', 'categoria_pai'])
      .where('codigo', '=', 'FUR-CH-10000454')
      .executeTakeFirstOrThrow();
    expect(chair).toEqual({ categoria: 'Chairs', categoria_pai: 'Furniture' });
  });

  it('a second run reads only the overlap and changes nothing', async () => {
    const p = await loaded.fork();
    try {
      const before = await dimensionSnapshot(p.ctx);
      const { rows, reports } = await dailyRun(p);
      // nothing changed since the watermark minus the overlap
      for (const e of ALL_ENTITIES) expect(rows[e]).toBe(0);
      expect(reports.every((r) => r.inserted === 0 && r.updated === 0)).toBe(true);
      expect(await dimensionSnapshot(p.ctx)).toEqual(before);
    } finally {
      await p.close();
    }
  });

  it('a customer who moved gets a second version with contiguous validity; nothing else changes', async () => {
    const p = await loaded.fork();
    try {
      const before = await dimensionSnapshot(p.ctx);
      const moved = await p.ctx.oltp.db
        .selectFrom('oltp.clientes')
        .select(['id', 'cidade', 'estado'])
        .where('codigo', '=', 'CG-12520')
        .executeTakeFirstOrThrow();
      const changedAt = new Date((await readClock(p.ctx.oltp.db)).getTime() - 1000);
      await p.ctx.oltp.db
        .updateTable('oltp.clientes')
        .set({ cidade: 'Recife', estado: 'Pernambuco', updated_at: changedAt })
        .where('id', '=', moved.id)
        .execute();
      const { reports } = await dailyRun(p);
      expect(reports.find((r) => r.entity === 'clientes')).toMatchObject({ read: 1, inserted: 0, updated: 1, unchanged: 0 });
      const versions = await p.ctx.dw.db.selectFrom('dw.dim_cliente').selectAll().where('cliente_id', '=', moved.id).orderBy('valid_from').execute();
      expect(versions.map((v) => [v.cidade, v.is_current])).toEqual([
        [moved.cidade, false],
        ['Recife', true],
      ]);
      expect(new Date(versions[0]!.valid_from).getUTCFullYear()).toBe(1900);
      expect(new Date(versions[0]!.valid_to).toISOString()).toBe(changedAt.toISOString());
      expect(new Date(versions[1]!.valid_from).toISOString()).toBe(changedAt.toISOString());
      expect(new Date(versions[1]!.valid_to).getUTCFullYear()).toBe(9999);
      const after = await dimensionSnapshot(p.ctx);
      const others = (snap: Record<string, unknown[]>) => ({
        ...snap,
        dim_cliente: snap.dim_cliente!.filter((r) => (r as { cliente_id: number }).cliente_id !== moved.id),
      });
      expect(others(after)).toEqual(others(before));
    } finally {
      await p.close();
    }
  });

  it('loads a row committed late inside the overlap and rows sharing the boundary timestamp', async () => {
    const p = await loaded.fork();
    try {
      const boundary = (await p.ctx.dw.db.selectFrom('etl.watermark').select('high_water').where('entity', '=', 'produtos').executeTakeFirstOrThrow())
        .high_water as Date;
      // committed after the last run read its window, stamped earlier than that window's end
      const late = new Date(new Date(boundary).getTime() - 5 * 60_000);
      const ids = (await p.ctx.oltp.db.selectFrom('oltp.produtos').select('id').orderBy('id').limit(4).execute()).map((r) => Number(r.id));
      await p.ctx.oltp.db.updateTable('oltp.produtos').set({ nome: 'Produto atrasado', updated_at: late }).where('id', '=', ids[0]!).execute();
      await p.ctx.oltp.db.updateTable('oltp.produtos').set({ nome: 'Mesmo instante', updated_at: boundary }).where('id', 'in', ids.slice(1)).execute();
      const { reports } = await dailyRun(p);
      expect(reports.find((r) => r.entity === 'produtos')).toMatchObject({ read: 4, updated: 4 });
      const names = await p.ctx.dw.db
        .selectFrom('dw.dim_produto')
        .select(['produto_id', 'nome'])
        .where('produto_id', 'in', ids)
        .where('is_current', '=', true)
        .orderBy('produto_id')
        .execute();
      expect(names.map((n) => n.nome)).toEqual(['Produto atrasado', 'Mesmo instante', 'Mesmo instante', 'Mesmo instante']);
    } finally {
      await p.close();
    }
  });

  it('a failure in the middle of a merge rolls the entity back; the retried message converges to the clean result', async () => {
    const p = await loaded.fork();
    try {
      const changedAt = new Date((await readClock(p.ctx.oltp.db)).getTime() - 1000);
      await p.ctx.oltp.db.updateTable('oltp.clientes').set({ segmento: 'Corporate', updated_at: changedAt }).where('segmento', '=', 'Home Office').execute();
      const watermarkBefore = await p.ctx.dw.db.selectFrom('etl.watermark').selectAll().where('entity', '=', 'clientes').executeTakeFirstOrThrow();
      const before = await dimensionSnapshot(p.ctx);
      const extract = await runExtract(p.ctx);
      if (extract.status !== 'started') throw new Error('skipped');
      const message = await p.receive(QUEUES.dimensions);
      faults.afterMerge = async (entity) => {
        if (entity === 'clientes') throw new Error('injected failure after the clientes merge');
      };
      try {
        await expect(loadDimensions(p.ctx, message)).rejects.toThrow('injected failure');
      } finally {
        faults.afterMerge = undefined;
      }
      expect(await p.ctx.dw.db.selectFrom('etl.watermark').selectAll().where('entity', '=', 'clientes').executeTakeFirstOrThrow()).toEqual(watermarkBefore);
      const failed = await dimensionSnapshot(p.ctx);
      expect(failed.dim_cliente).toEqual(before.dim_cliente);
      const run = await p.ctx.dw.db.selectFrom('etl.run').select(['status', 'error']).where('run_id', '=', extract.runId).executeTakeFirstOrThrow();
      expect(run).toEqual({ status: 'failed', error: expect.stringContaining('injected failure') });
      const step = await p.ctx.dw.db
        .selectFrom('etl.run_step')
        .select('status')
        .where('run_id', '=', extract.runId)
        .where('step', '=', 'dimensions')
        .where('entity', '=', 'clientes')
        .executeTakeFirstOrThrow();
      expect(step.status).toBe('failed');

      // the queue delivers the message again; the run then goes on to its fact load
      await loadDimensions(p.ctx, message);
      await loadFacts(p.ctx, await p.receive(QUEUES.facts));
      const homeOffice = await p.ctx.dw.db
        .selectFrom('dw.dim_cliente')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('segmento', '=', 'Home Office')
        .where('is_current', '=', true)
        .executeTakeFirstOrThrow();
      expect(Number(homeOffice.n)).toBe(0);
      expect((await p.ctx.dw.db.selectFrom('etl.run').select('status').where('run_id', '=', extract.runId).executeTakeFirstOrThrow()).status).toBe('succeeded');

      // a clean warehouse loading the same source in one go ends in the same dimensions
      const clean = await testPipeline(engine);
      try {
        // its own OLTP stays empty: the run reads the same source
        await dailyRun({ ...clean, ctx: { ...clean.ctx, oltp: p.ctx.oltp } });
        const a = await dimensionSnapshot(p.ctx);
        const b = await dimensionSnapshot(clean.ctx);
        // history differs (the clean warehouse never saw the old values); current members are identical
        const current = (snap: Record<string, unknown[]>, table: string) =>
          snap[table]!.filter((r) => (r as { is_current?: boolean }).is_current !== false)
            .map((r) => {
              const { valid_from: _f, valid_to: _t, source_updated_at: _s, cliente_key: _k, produto_key: _p, ...rest } = r as Record<string, unknown>;
              return rest;
            })
            .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
        for (const table of ['dim_categoria', 'dim_vendedor', 'dim_campanha', 'dim_cliente', 'dim_produto'])
          expect(current(a, table)).toEqual(current(b, table));
      } finally {
        await clean.close();
      }
    } finally {
      await p.close();
    }
  });
});
