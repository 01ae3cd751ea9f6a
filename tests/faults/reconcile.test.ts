// The reconciliation every fault case ends with (tests/helpers/reconcile.ts) must pass on a clean
// daily load and must fail, naming the row, when the warehouse is off by one row or one cent or a
// watermark runs ahead of an unloaded row: a check that cannot fail would prove nothing.
import { sql } from 'kysely';
import { seedBase } from '../../shared/seed/base.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, testPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { expectReconciled, reconcile } from '../helpers/reconcile.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const pglite = testEngines().find((e) => e.name === 'pglite')!;

describe('reconciliation of the warehouse against the source', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await testPipeline(pglite);
    await seedBase(p.ctx.oltp, { scale: 0.05, seed: 11, asOf: new Date(Date.now() - 86_400_000) });
    await dailyRun(p);
  });
  afterAll(() => p?.close());

  it('finds nothing after a clean daily run', async () => {
    const r = await reconcile(p.ctx.oltp.db, p.ctx.dw.db);
    expectReconciled(r);
    expect(r.watermarkViolations).toEqual([]);
    expect(r.due.itens_pedido).toBeGreaterThan(500);
    expect(r.due.pedidos).toBeGreaterThan(300);
  });

  it('names a fact one cent off, a missing fact, a lost dimension row and a watermark past an unloaded row (sabotaged, rolled back)', async () => {
    const item = await p.ctx.dw.db
      .selectFrom('dw.fact_vendas')
      .select(['item_id', 'data_pedido'])
      .where('removido', '=', false)
      .orderBy('item_id')
      .limit(2)
      .execute();
    const [a, b] = [item[0]!, item[1]!];
    await expect(
      p.ctx.dw.db.transaction().execute(async (trx) => {
        await sql`update dw.fact_vendas set valor_liquido = valor_liquido + 0.01 where item_id = ${a.item_id}`.execute(trx);
        await trx.deleteFrom('dw.fact_descontos').where('item_id', '=', b.item_id).execute();
        await trx.deleteFrom('dw.fact_vendas').where('item_id', '=', b.item_id).execute();
        const pagamento = await trx.selectFrom('ods.pagamentos').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow();
        await trx.deleteFrom('ods.pagamentos').where('id', '=', pagamento.id).execute();
        const r = await reconcile(p.ctx.oltp.db, trx);
        const month = new Date(a.data_pedido!).toISOString().slice(0, 7);
        expect(r.differences).toEqual(
          expect.arrayContaining([
            expect.stringMatching(new RegExp(`^fact_vendas: item ${a.item_id} valor_liquido is `)),
            expect.stringMatching(new RegExp(`^fact_vendas ${month}: net `)),
            expect.stringMatching(new RegExp(`^fact_vendas: item ${b.item_id} \\(order \\d+\\) missing$`)),
            expect.stringMatching(new RegExp(`^pagamentos ${pagamento.id} .*missing from ods.pagamentos$`)),
          ]),
        );
        // the payments' watermark is past the payment that is gone
        expect(r.watermarkViolations).toEqual([expect.stringMatching(new RegExp(`^pagamentos ${pagamento.id} .*yet the watermark is `))]);
        expect(() => expectReconciled(r)).toThrow(/does not reconcile with the source/);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expectReconciled(await reconcile(p.ctx.oltp.db, p.ctx.dw.db));
  });

  it('counts a source row changed after the load as stale (not a watermark violation) until the next run', async () => {
    const cliente = await p.ctx.oltp.db.selectFrom('oltp.clientes').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow();
    await p.ctx.oltp.db.updateTable('oltp.clientes').set({ nome: 'Nome Novo', updated_at: new Date() }).where('id', '=', cliente.id).execute();
    const r = await reconcile(p.ctx.oltp.db, p.ctx.dw.db);
    expect(r.differences).toEqual([expect.stringMatching(new RegExp(`^clientes ${cliente.id} .*dw.dim_cliente holds the version of `))]);
    expect(r.watermarkViolations).toEqual([]);
    await dailyRun(p);
    expectReconciled(await reconcile(p.ctx.oltp.db, p.ctx.dw.db));
  });
});
