// The KPI API (shared/kpi, reading the certified views dw.vw_vendas, dw.vw_descontos, dw.vw_metas)
// against the reference SQL (sql/kpi/reference/*.sql, the same KPIs written again on the OLTP
// source): for a matrix of filter combinations on every area, every number is equal, to the unit
// of the money scale, after the seed and a daily run, after an incremental day and its run, with
// the certified pointer held back, and after the Superstore import and a run (whose net sales and
// profit are the file's to the cent).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { readClock } from '../../shared/db/portable-sql.js';
import { importSuperstore } from '../../shared/import/superstore.js';
import { formatMoney, parseMoney } from '../../shared/model/money.js';
import { BadRequestError, filterOptions, kpiAnswer, parseKpiFilters } from '../../shared/kpi/queries.js';
import { readCertified } from '../../shared/quality/certified.js';
import { runIncrementalDay } from '../../shared/seed/incremental.js';
import { superstorePath } from '../helpers/datasets.js';
import { testEngines } from '../helpers/engines.js';
import { compareWithReference, filterMatrix } from '../helpers/kpi-compare.js';
import { dailyRun, pipelineFixture, type TestPipeline, seedBaseEndingYesterday } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

async function expectEqualToReference(p: TestPipeline) {
  const options = await filterOptions(p.ctx.dw.db);
  const matrix = filterMatrix(options);
  expect(matrix.length).toBeGreaterThanOrEqual(8);
  const { api, reference, certifiedTo } = await compareWithReference(p.ctx.dw.db, p.ctx.oltp.db, matrix, p.ctx.settings);
  expect(certifiedTo).not.toBeNull();
  expect(api).toEqual(reference);
  return { options, matrix };
}

describe.each(testEngines())('KPIs equal the reference SQL on $name', (engine) => {
  describe('seeded source', () => {
    const loaded = pipelineFixture(engine, async (p) => {
      await seedBaseEndingYesterday(p, { scale: 0.02, seed: 11 });
      await dailyRun(p);
    });

    it('after the seed and a daily run: every area, every filter combination', async () => {
      const p = await loaded.shared();
      const { options } = await expectEqualToReference(p);
      // the matrix exercises every filter with a real value
      expect(options.categorias.length).toBeGreaterThan(1);
      expect(options.vendedores.length).toBeGreaterThan(1);
      expect(options.campanhas.length).toBeGreaterThan(0);
      expect(options.estados.length).toBeGreaterThan(1);
      // the rules about which rows count are exercised: the source has removed items and cancelled orders
      const oltp = p.ctx.oltp.db;
      const removed = await oltp
        .selectFrom('oltp.itens_pedido')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('deleted_at', 'is not', null)
        .executeTakeFirstOrThrow();
      const cancelled = await oltp
        .selectFrom('oltp.pedidos')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('status', '=', 'cancelado')
        .executeTakeFirstOrThrow();
      expect(Number(removed.n)).toBeGreaterThan(0);
      expect(Number(cancelled.n)).toBeGreaterThan(0);
      const vendas = await kpiAnswer(p.ctx.dw.db, 'vendas', {}, p.ctx.settings);
      expect(vendas).toMatchObject({ area: 'vendas', filters: {}, stale: false, lastRun: { status: 'succeeded' } });
      expect(vendas.data.tiles.pedidos).toBeGreaterThan(0);
      expect(Number(vendas.data.tiles.taxaCancelamento)).toBeGreaterThan(0);
      const metas = await kpiAnswer(p.ctx.dw.db, 'metas', {}, p.ctx.settings);
      expect(metas.data.porVendedorMes.length).toBeGreaterThan(0);
      const descontos = await kpiAnswer(p.ctx.dw.db, 'descontos', {}, p.ctx.settings);
      expect(descontos.data.porCampanha.some((c) => c.roi !== null)).toBe(true);
    });

    it('after an incremental day and its daily run (new orders, status changes and cancellations, movers, a price and a category change)', async () => {
      const p = await loaded.fork();
      try {
        await runIncrementalDay(p.ctx.oltp, { at: await readClock(p.ctx.oltp.db), seed: 11 });
        await dailyRun(p);
        await expectEqualToReference(p);
      } finally {
        await p.close();
      }
    });

    it('counts every order once after the item that counted it is removed (the order counters move to the next live item)', async () => {
      const p = await loaded.fork();
      try {
        const oltp = p.ctx.oltp.db;
        // orders with two live items or more: their lowest-numbered live item goes
        const multi = await oltp
          .selectFrom('oltp.itens_pedido')
          .select(['pedido_id', (eb) => eb.fn.min('numero_item').as('primeiro')])
          .where('deleted_at', 'is', null)
          .groupBy('pedido_id')
          .having((eb) => eb.fn.countAll(), '>=', 2)
          .orderBy('pedido_id')
          .execute();
        const chosen = multi.slice(0, 6);
        expect(chosen.length).toBeGreaterThan(0);
        const now = await readClock(oltp);
        for (const o of chosen)
          await oltp
            .updateTable('oltp.itens_pedido')
            .set({ deleted_at: now, updated_at: now })
            .where('pedido_id', '=', o.pedido_id)
            .where('numero_item', '=', o.primeiro)
            .execute();
        await dailyRun(p);
        await expectEqualToReference(p);

        // on the facts: one counting item per order and per (order, seller) among live items, none among removed ones
        const dw = p.ctx.dw.db;
        const perOrder = await dw
          .selectFrom('dw.fact_vendas')
          .select(['pedido_id', (eb) => eb.fn.sum<number>('conta_pedido').as('n')])
          .where('removido', '=', false)
          .groupBy('pedido_id')
          .execute();
        expect(perOrder.length).toBeGreaterThan(0);
        expect(perOrder.filter((r) => Number(r.n) !== 1)).toEqual([]);
        const perSeller = await dw
          .selectFrom('dw.fact_vendas')
          .select(['pedido_id', 'vendedor_id', (eb) => eb.fn.sum<number>('conta_pedido_vendedor').as('n')])
          .where('removido', '=', false)
          .groupBy(['pedido_id', 'vendedor_id'])
          .execute();
        expect(perSeller.filter((r) => Number(r.n) !== 1)).toEqual([]);
        const onRemoved = await dw
          .selectFrom('dw.fact_vendas')
          .select((eb) => [
            eb.fn.countAll<number>().as('items'),
            eb.fn.sum<number>(eb(eb.ref('conta_pedido'), '+', eb.ref('conta_pedido_vendedor'))).as('counted'),
          ])
          .where('removido', '=', true)
          .executeTakeFirstOrThrow();
        expect(Number(onRemoved.items)).toBeGreaterThanOrEqual(chosen.length);
        expect(Number(onRemoved.counted)).toBe(0);
        // the removed items of the chosen orders are the ones the source removed
        const removedNow = await dw
          .selectFrom('dw.fact_vendas')
          .select(['pedido_id', 'numero_item'])
          .where('removido', '=', true)
          .where(
            'pedido_id',
            'in',
            chosen.map((o) => o.pedido_id),
          )
          .execute();
        for (const o of chosen) expect(removedNow).toContainEqual({ pedido_id: o.pedido_id, numero_item: o.primeiro });
      } finally {
        await p.close();
      }
    });

    it('shows only what is certified: with the pointer held back, later orders leave every view', async () => {
      const p = await loaded.fork();
      try {
        const before = await kpiAnswer(p.ctx.dw.db, 'vendas', {}, p.ctx.settings);
        const { certifiedTo } = await readCertified(p.ctx.dw.db);
        const back = new Date(certifiedTo!.getTime() - 20 * 86_400_000);
        await p.ctx.dw.db.updateTable('etl.certified').set({ certified_to: back }).where('name', '=', 'pipeline').execute();
        const after = await kpiAnswer(p.ctx.dw.db, 'vendas', {}, p.ctx.settings);
        expect(after.certifiedTo).toBe(back.toISOString());
        expect(parseMoney(after.data.tiles.receitaLiquida)).toBeLessThan(parseMoney(before.data.tiles.receitaLiquida));
        const { api, reference } = await compareWithReference(p.ctx.dw.db, p.ctx.oltp.db, [{}], p.ctx.settings);
        expect(api).toEqual(reference);
        // nothing certified yet: empty views, zero totals, a stale answer
        await p.ctx.dw.db.updateTable('etl.certified').set({ certified_to: null }).where('name', '=', 'pipeline').execute();
        const none = await kpiAnswer(p.ctx.dw.db, 'vendas', {}, p.ctx.settings);
        expect(none).toMatchObject({ certifiedTo: null, stale: true, data: { tiles: { receitaLiquida: '0.0000', pedidos: 0, ticketMedio: null } } });
      } finally {
        await p.close();
      }
    });

    it('refuses a filter that names nothing with a BadRequestError naming the field, on every area; metas applies only period and seller', async () => {
      const p = await loaded.shared();
      const options = await filterOptions(p.ctx.dw.db);
      const unknownSeller = Math.max(...options.vendedores.map((v) => v.id)) + 1000;
      const bad: [filters: unknown, message: RegExp][] = [
        [{ vendedor: unknownSeller }, new RegExp(`^vendedor: no seller ${unknownSeller} in the certified sales or targets`)],
        [{ categoria: 999_999 }, /^categoria: no category 999999 in the certified sales/],
        [{ campanha: 999_999 }, /^campanha: no campaign 999999 in the certified sales/],
        [{ estado: 'ZZ' }, /^estado: no sale delivered to ZZ in the certified sales/],
        [{ from: '2026-03-01', to: '2026-02-01' }, /^from: 2026-03-01 is after to: 2026-02-01$/],
        [{ from: '2026-02-30' }, /^from: 2026-02-30 is not a calendar date$/],
        [{ to: 'ontem' }, /^to: expected a date YYYY-MM-DD$/],
        [{ estado: 'sp' }, /^estado: expected a UF, two capital letters$/],
        [{ vendedor: 0 }, /^vendedor: /],
        [{ loja: 1 }, /unrecognized key/i],
      ];
      for (const area of ['vendas', 'metas', 'descontos'] as const)
        for (const [filters, message] of bad) {
          const refused = await kpiAnswer(p.ctx.dw.db, area, filters as never, p.ctx.settings).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(refused).toBeInstanceOf(BadRequestError);
          expect({ area, filters, message: (refused as Error).message, status: (refused as BadRequestError).status }).toEqual({
            area,
            filters,
            message: expect.stringMatching(message),
            status: 400,
          });
        }
      expect(() => parseKpiFilters({ categoria: 'abc' })).toThrow(BadRequestError);
      // metas: targets are per seller and month, so the item filters are checked but not applied
      const metas = await kpiAnswer(p.ctx.dw.db, 'metas', { categoria: options.categorias[0]!.id, vendedor: options.vendedores[0]!.id }, p.ctx.settings);
      expect(metas.filters).toEqual({ vendedor: options.vendedores[0]!.id });
    });
  });

  describe('Superstore', () => {
    const file = parse(gunzipSync(readFileSync(superstorePath())).toString('utf8'), { columns: true }) as Record<string, string>[];
    const total = (col: string) => formatMoney(file.reduce((acc, r) => acc + parseMoney(r[col]!), 0n));
    const loaded = pipelineFixture(engine, async (p) => {
      const at = new Date((await readClock(p.ctx.oltp.db)).getTime() - 3_600_000).toISOString();
      await importSuperstore(p.ctx.oltp, superstorePath(), { at });
      await dailyRun(p);
    });

    it("after the import and a daily run: net sales and profit are the file's to the cent, and every KPI equals the reference", async () => {
      const p = await loaded.shared();
      const vendas = await kpiAnswer(p.ctx.dw.db, 'vendas', {}, p.ctx.settings);
      expect(vendas.data.tiles.receitaLiquida).toBe(total('Sales'));
      expect(vendas.data.tiles.margem).toBe(total('Profit'));
      expect(vendas.data.tiles.itens).toBe(file.reduce((n, r) => n + Number(r.Quantity), 0));
      expect(vendas.data.tiles.pedidos).toBe(new Set(file.map((r) => r['Order ID'])).size);
      await expectEqualToReference(p);
    });
  });
});
