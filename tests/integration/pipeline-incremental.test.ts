// After the incremental day, the next daily run picks up exactly the rows that changed.
import { readClock } from '../../shared/db/portable-sql.js';
import { runIncrementalDay } from '../../shared/seed/incremental.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, dimensionSnapshot, testPipeline, seedBaseEndingYesterday } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const byId = (rows: unknown[], id: string) => new Map(rows.map((r) => [(r as Record<string, number>)[id], r]));

describe.each(testEngines())('incremental day through the pipeline on $name', (engine) => {
  it('loads exactly the changed customers and products: movers get a second version, new members appear, nothing else changes', async () => {
    const p = await testPipeline(engine);
    try {
      // the base ends yesterday on the source's clock (the one the extract windows are measured
      // against), so today's changes, stamped from that clock, are later than every base row
      await seedBaseEndingYesterday(p, { scale: 0.03, seed: 42 });
      await dailyRun(p);
      const before = await dimensionSnapshot(p.ctx);

      const { plan } = await runIncrementalDay(p.ctx.oltp, { at: await readClock(p.ctx.oltp.db), seed: 42 });
      const { rows, reports } = await dailyRun(p);
      const after = await dimensionSnapshot(p.ctx);

      // what was read is exactly what the day touched
      expect(rows.clientes).toBe(plan.targets.clientes.inserted.length + plan.targets.clientes.updated.length);
      expect(rows.produtos).toBe(plan.targets.produtos.inserted.length + plan.targets.produtos.updated.length);
      expect(rows.campanhas).toBe(plan.targets.campanhas.inserted.length + plan.targets.campanhas.updated.length);
      expect(reports.find((r) => r.entity === 'clientes')).toMatchObject({ inserted: plan.targets.clientes.inserted.length, rejected: 0 });

      // customers: movers have two versions with contiguous validity; new ones appear; the rest is identical
      const moverIds = new Set(plan.moves.map((m) => m.id));
      expect(moverIds.size).toBeGreaterThanOrEqual(2);
      for (const move of plan.moves) {
        const versions = after.dim_cliente!.filter((r) => (r as { cliente_id: number }).cliente_id === move.id) as Record<string, unknown>[];
        expect(versions).toHaveLength(2);
        const [old, current] = versions.sort((a, b) => String(a.valid_from).localeCompare(String(b.valid_from)));
        expect(old!.is_current).toBe(false);
        expect(current).toMatchObject({ is_current: true, cidade: move.cidade, estado: move.estado });
        expect(old!.valid_to).toBe(current!.valid_from);
      }
      const newCustomers = new Set(plan.targets.clientes.inserted);
      const afterCustomers = after.dim_cliente!.filter((r) => (r as { is_current: boolean }).is_current);
      for (const id of newCustomers) expect(afterCustomers.some((r) => (r as { cliente_id: number }).cliente_id === id)).toBe(true);
      const untouched = (rows: unknown[]) =>
        rows.filter((r) => !moverIds.has((r as { cliente_id: number }).cliente_id) && !newCustomers.has((r as { cliente_id: number }).cliente_id));
      expect(untouched(after.dim_cliente!)).toEqual(untouched(before.dim_cliente!));

      // products: the price change and the category change each open a new version
      const changedProducts = new Set(plan.targets.produtos.updated);
      expect(changedProducts.size).toBe(2);
      for (const id of changedProducts) {
        expect(after.dim_produto!.filter((r) => (r as { produto_id: number }).produto_id === id)).toHaveLength(2);
      }
      const beforeProducts = byId(before.dim_produto!, 'produto_key');
      for (const [key, row] of byId(after.dim_produto!, 'produto_key')) {
        const id = (row as { produto_id: number }).produto_id;
        if (!changedProducts.has(id)) expect(row).toEqual(beforeProducts.get(key));
      }
      // the day's campaign is a new member; sellers and categories did not change
      expect(after.dim_campanha!.length).toBe(before.dim_campanha!.length + plan.targets.campanhas.inserted.length);
      expect(after.dim_vendedor).toEqual(before.dim_vendedor);
      expect(after.dim_categoria).toEqual(before.dim_categoria);
    } finally {
      await p.close();
    }
  });
});
