// Every statement the pipeline runs must have its golden T-SQL counterpart in
// sql/generated/statements (checked offline for SQL Server by tests/unit/pipeline-tsql.test.ts).
// A daily run, the next day's run, a dry-run count, a backfill, the runs API and the KPI API
// (every area with no filter, each filter alone and all of them, and the filter options) run on
// PGlite (with telemetry on) through the same entry points as production; each statement they
// execute is matched by identity (shared/db/statement-identity.ts) against the golden files.
import { countBackfillRows, planBackfill } from '../../shared/pipeline/backfill.js';
import { loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { QUEUES } from '../../shared/pipeline/messages.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { listRuns, readRunReport } from '../../shared/pipeline/run-report.js';
import { readClock } from '../../shared/db/portable-sql.js';
import { goldenIdentities } from '../../shared/db/statement-golden.js';
import { KPI_AREAS, type KpiFilters } from '../../shared/kpi/contract.js';
import { KPI_STATEMENT_FILTERS } from '../../shared/kpi/filters.js';
import { filterOptions, kpiAnswer } from '../../shared/kpi/queries.js';
import { seedBase } from '../../shared/seed/base.js';
import { runIncrementalDay } from '../../shared/seed/incremental.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, testPipeline } from '../helpers/pipeline.js';
import { capturingDatabase } from '../helpers/statement-capture.js';
import { stopStorage } from '../helpers/storage.js';
import { captureTelemetry } from '../helpers/telemetry-capture.js';

afterAll(() => stopStorage());

describe('golden T-SQL coverage', () => {
  it('has a T-SQL counterpart for every statement a daily run, a backfill, the runs API and the KPI API execute on PGlite', async () => {
    const p = await testPipeline(testEngines()[0]!);
    try {
      const source = p.ctx.oltp;
      // Rows are stamped from the source's clock, as the extract windows are: yesterday's base,
      // then today's changes.
      const asOf = new Date((await readClock(source.db)).toISOString().slice(0, 10) + 'T00:00:00.000Z');
      asOf.setUTCDate(asOf.getUTCDate() - 1);
      await seedBase(source, { scale: 0.01, seed: 7, asOf });

      const seen = new Set<string>();
      p.ctx.oltp = capturingDatabase(source, seen);
      p.ctx.dw = capturingDatabase(p.ctx.dw, seen);
      // telemetry on: what a run reads for its events (the run report, the freshness lag) is covered too
      p.ctx.telemetry = captureTelemetry().telemetry;
      // the first run (no watermarks yet), then the next day's (watermarks advanced)
      await dailyRun(p);
      await runIncrementalDay(source, { at: await readClock(source.db), seed: 7 });
      const { runId } = await dailyRun(p);
      // POST /api/backfill: a dry run, then a backfill of orders and items
      const to = (await readClock(source.db)).toISOString();
      const plan = await planBackfill(p.ctx, JSON.stringify({ from: asOf.toISOString(), to, entities: ['pedidos', 'itens_pedido'] }));
      expect(Object.values(await countBackfillRows(p.ctx.oltp, plan.window, plan.entities)).some((n) => n > 0)).toBe(true);
      const backfill = await runExtract(p.ctx, { kind: 'backfill', window: plan.window, entities: plan.entities, requestedBy: 'api' });
      expect(backfill.status).toBe('started');
      await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
      await loadFacts(p.ctx, await p.receive(QUEUES.facts));
      // GET /api/runs and /api/runs/{id}
      expect(await readRunReport(p.ctx.dw.db, runId)).toMatchObject({ status: 'succeeded' });
      expect(await listRuns(p.ctx.dw.db, 20)).toHaveLength(3);

      // GET /api/kpi/filtros, then GET /api/kpi/{area} for the filter shapes of the golden file,
      // with values the certified data holds
      const before = seen.size;
      const options = await filterOptions(p.ctx.dw.db);
      const real: Required<KpiFilters> = {
        from: options.periodo.from!,
        to: options.periodo.to!,
        categoria: options.categorias[0]!.id,
        estado: options.estados[0]!,
        vendedor: options.vendedores[0]!.id,
        campanha: options.campanhas[0]!.id,
      };
      for (const area of KPI_AREAS)
        for (const shape of KPI_STATEMENT_FILTERS) {
          const filters = Object.fromEntries(Object.keys(shape).map((k) => [k, real[k as keyof KpiFilters]])) as KpiFilters;
          expect((await kpiAnswer(p.ctx.dw.db, area, filters, p.ctx.settings)).filters).toBeDefined();
        }
      // (each area's statements per filter shape: vendas 4, metas 1-2, descontos 2, plus the filter checks)
      expect(seen.size - before).toBeGreaterThan(40);

      // raw `sql` templates pass through the plugin too (the source clock)
      expect(seen).toContain('raw; text: select ? as now');
      expect(seen.size).toBeGreaterThan(80);
      const golden = goldenIdentities();
      expect([...seen].filter((identity) => !golden.has(identity))).toEqual([]);
    } finally {
      await p.close();
    }
  });
});
