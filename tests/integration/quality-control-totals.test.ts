// Control totals (shared/quality/control-totals.ts): the extract's manifest records the row count
// and the exact sums of the money columns of the rows it wrote; inside a load's transaction, after
// staging and quarantine, staged + quarantined rows must add up to them. Here each case extracts
// real batches from a seeded source, stages them as a load does, quarantines the rejects, and runs
// the check in a transaction that rolls back.
import { sql, type Transaction } from 'kysely';
import type { WarehouseTables } from '../../shared/db/schema/index.js';
import { entity, type EntityName } from '../../shared/pipeline/entities.js';
import { extractEntity } from '../../shared/pipeline/extract.js';
import { quarantine, stageBatch } from '../../shared/pipeline/staging.js';
import type { CheckOutcome, QualityCheck } from '../../shared/quality/check.js';
import { CONTROL_TOTALS_DIMENSIONS, CONTROL_TOTALS_FACTS } from '../../shared/quality/control-totals.js';
import { seedBase } from '../../shared/seed/base.js';
import type { Manifest } from '../../shared/storage/batch-manifest.js';
import { testEngines } from '../helpers/engines.js';
import { pipelineFixture, type TestPipeline } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const FACT_ENTITIES: EntityName[] = ['pedidos', 'itens_pedido', 'pagamentos', 'metas'];
let runs = 0;
const newRunId = () => `ct-${process.pid}-${++runs}`;

/** The whole source table of an entity as one batch (the first load's window). */
async function extract(p: TestPipeline, name: EntityName, runId: string, path: 'copy' | 'rows' = 'copy'): Promise<Manifest> {
  // without its COPY channel the extract reads rows through Kysely, as it does on SQL Server
  const source = path === 'copy' ? p.ctx.oltp : { ...p.ctx.oltp, copy: undefined };
  const written = await extractEntity(source, p.ctx.store, entity(name)!, {
    runId,
    runDate: new Date(),
    lowerBound: null,
    overlapMinutes: 60,
    safetyLagSeconds: 0,
    limits: { maxRows: 700, maxBytes: 1 << 20 },
  });
  return written.manifest;
}

const ROLLBACK = new Error('rollback');

/**
 * Stages the batches as a load step does, then, in one transaction that rolls back: quarantines
 * the rejected rows, lets `tamper` change what was staged, runs the check.
 */
async function checkLoad(
  p: TestPipeline,
  check: QualityCheck,
  runId: string,
  batches: Map<EntityName, Manifest>,
  tamper?: (trx: Transaction<WarehouseTables>) => Promise<void>,
): Promise<CheckOutcome & { rejected: number }> {
  const rejected = new Map<EntityName, Awaited<ReturnType<typeof stageBatch>>['rejected']>();
  for (const [name, manifest] of batches) rejected.set(name, (await stageBatch(p.ctx.dw, p.ctx.store, entity(name)!, manifest, 50, { runId })).rejected);
  let outcome: CheckOutcome | undefined;
  await p.ctx.dw.db
    .transaction()
    .execute(async (trx) => {
      for (const [name, rows] of rejected) await quarantine(trx, runId, name, rows);
      await tamper?.(trx);
      outcome = await check.run({ dw: trx, runId, batches, settings: p.ctx.settings });
      throw ROLLBACK;
    })
    .catch((e: unknown) => {
      if (e !== ROLLBACK) throw e;
    });
  return { ...outcome!, rejected: [...rejected.values()].reduce((n, r) => n + r.length, 0) };
}

async function extractAll(p: TestPipeline, names: readonly EntityName[], runId: string): Promise<Map<EntityName, Manifest>> {
  const batches = new Map<EntityName, Manifest>();
  for (const name of names) batches.set(name, await extract(p, name, runId));
  return batches;
}

describe.each(testEngines())('control totals on $name', (engine) => {
  const seeded = pipelineFixture(engine, async (p) => {
    await seedBase(p.ctx.oltp, { scale: 0.03, seed: 5, asOf: new Date('2026-06-01T00:00:00.000Z') });
  });

  it('the manifest carries the exact sums of the money columns of the rows written, from either extract path', async () => {
    const p = await seeded.shared();
    const copy = await extract(p, 'itens_pedido', newRunId());
    const rows = await extract(p, 'itens_pedido', newRunId(), 'rows');
    const source = (
      await sql<Record<string, string>>`select count(*)::text as n, sum(preco_unitario)::text as preco_unitario, sum(valor_bruto)::text as valor_bruto,
        sum(valor_desconto)::text as valor_desconto, sum(valor_liquido)::text as valor_liquido, sum(valor_frete)::text as valor_frete,
        sum(custo_total)::text as custo_total from oltp.itens_pedido`.execute(p.ctx.oltp.db)
    ).rows[0]!;
    const { n, ...sums } = source;
    expect(copy.rowCount).toBe(Number(n));
    // decimal(19,4) columns only: the discount rate (decimal(7,4)) has no total
    expect(copy.totals).toEqual(sums);
    expect(rows.totals).toEqual(copy.totals);
    expect(rows.schemaVersion).toBe(2);
  });

  it('passes for correct batches of every entity the phase loads, and ignores the other phase', async () => {
    const p = await seeded.shared();
    const runId = newRunId();
    const facts = await checkLoad(p, CONTROL_TOTALS_FACTS, runId, await extractAll(p, FACT_ENTITIES, runId));
    expect(facts).toMatchObject({ failing: 0, samples: [], rejected: 0 });
    expect(facts.observed).toMatch(/^4 batch\(es\), \d+ rows add up$/);

    const dimensions = new Map([['produtos', await extract(p, 'produtos', runId)] as const, ['pedidos', await extract(p, 'pedidos', `${runId}-b`)] as const]);
    const d = await checkLoad(p, CONTROL_TOTALS_DIMENSIONS, runId, dimensions);
    expect(d).toMatchObject({ failing: 0 });
    expect(d.observed).toMatch(/^1 batch\(es\), \d+ rows add up$/);
  });

  it('fails when a row is lost between the manifest and staging, naming the entity', async () => {
    const p = await seeded.shared();
    const runId = newRunId();
    const batches = await extractAll(p, ['pedidos', 'itens_pedido'], runId);
    const lost = await checkLoad(p, CONTROL_TOTALS_FACTS, runId, batches, async (trx) => {
      await sql`delete from stg.itens_pedido where id = (select min(id) from stg.itens_pedido)`.execute(trx);
    });
    const m = batches.get('itens_pedido')!;
    expect(lost.failing).toBeGreaterThanOrEqual(2);
    expect(lost.samples[0]).toBe(`entity=itens_pedido, column=rows, manifest=${m.rowCount}, staged_plus_quarantined=${m.rowCount - 1}`);
    expect(lost.samples[1]).toMatch(/^entity=itens_pedido, column=preco_unitario, manifest=\d+\.\d{4}, staged_plus_quarantined=\d+\.\d{4}$/);
    expect(lost.samples.every((s) => s.startsWith('entity=itens_pedido'))).toBe(true);
  });

  it('fails when a staged amount differs from the manifest by one unit, naming entity and column', async () => {
    const p = await seeded.shared();
    const runId = newRunId();
    const batches = await extractAll(p, ['metas'], runId);
    const changed = await checkLoad(p, CONTROL_TOTALS_FACTS, runId, batches, async (trx) => {
      await sql`update stg.metas set valor_meta = valor_meta + 0.0001 where id = (select min(id) from stg.metas)`.execute(trx);
    });
    const total = batches.get('metas')!.totals!.valor_meta!;
    expect(changed).toMatchObject({
      failing: 1,
      samples: [expect.stringMatching(new RegExp(`^entity=metas, column=valor_meta, manifest=${total}, staged_plus_quarantined=\\d+\\.\\d{4}$`))],
    });
  });

  it('a manifest without totals (written before them) is compared by rows only: no more rows than it lists, a shortfall named', async () => {
    const p = await seeded.shared();
    const runId = newRunId();
    const { totals: _dropped, ...old } = await extract(p, 'pagamentos', runId);
    const batches = new Map([['pagamentos', old] as const]);
    const ok = await checkLoad(p, CONTROL_TOTALS_FACTS, runId, batches, async (trx) => {
      await sql`update stg.pagamentos set valor = valor + 1`.execute(trx);
    });
    expect(ok).toMatchObject({ failing: 0 });
    expect(ok.observed).toContain('pagamentos: the manifest has no totals (written before them), rows compared only');
    // such a batch may have held duplicate keys, which staging collapses: a missing row is named, not failed
    const short = await checkLoad(p, CONTROL_TOTALS_FACTS, runId, batches, async (trx) => {
      await sql`delete from stg.pagamentos where id = (select min(id) from stg.pagamentos)`.execute(trx);
    });
    expect(short).toMatchObject({ failing: 0 });
    expect(short.observed).toContain('rows compared only, 1 neither staged nor quarantined (duplicate keys collapsed, or lost: it cannot tell)');
    const extra = await checkLoad(p, CONTROL_TOTALS_FACTS, runId, batches, async (trx) => {
      await sql`insert into stg.pagamentos select _seq + 1000000, id + 1000000, pedido_id, sequencial, tipo, parcelas, valor, created_at, updated_at
        from stg.pagamentos where id = (select min(id) from stg.pagamentos)`.execute(trx);
    });
    expect(extra.samples).toEqual([`entity=pagamentos, column=rows, manifest=${old.rowCount}, staged_plus_quarantined=${old.rowCount + 1}`]);
  });

  describe('with rows the contracts reject', () => {
    // an item with quantity 0 whose amounts also changed, a product with a negative price
    async function breakRows(p: TestPipeline) {
      await sql`update oltp.itens_pedido set quantidade = 0, valor_bruto = valor_bruto + 1000, valor_liquido = valor_liquido + 1000 where id = (select min(id) from oltp.itens_pedido)`.execute(
        p.ctx.oltp.db,
      );
      await sql`update oltp.produtos set preco_lista = -1.5 where id = (select max(id) from oltp.produtos)`.execute(p.ctx.oltp.db);
    }

    it('passes: the quarantined rows count, and their money is read from the quarantine', async () => {
      const p = await seeded.fork();
      try {
        await breakRows(p);
        const runId = newRunId();
        const facts = await checkLoad(p, CONTROL_TOTALS_FACTS, runId, await extractAll(p, ['itens_pedido'], runId));
        expect(facts).toMatchObject({ failing: 0, rejected: 1 });
        const dims = await checkLoad(p, CONTROL_TOTALS_DIMENSIONS, runId, await extractAll(p, ['produtos'], runId));
        expect(dims).toMatchObject({ failing: 0, rejected: 1 });

        // without the quarantined row's money the sums would not add up
        const lost = await checkLoad(p, CONTROL_TOTALS_FACTS, runId, await extractAll(p, ['itens_pedido'], `${runId}-b`), async (trx) => {
          await trx.deleteFrom('etl.rejected_row').where('entity', '=', 'itens_pedido').execute();
        });
        expect(lost.samples[0]).toMatch(/^entity=itens_pedido, column=rows, /);
      } finally {
        await p.close();
      }
    });

    it('passes when an overlapping run re-reads a row an earlier run already quarantined in the same version', async () => {
      const p = await seeded.fork();
      try {
        await breakRows(p);
        const first = newRunId();
        const batch = await extract(p, 'itens_pedido', first);
        const staged = await stageBatch(p.ctx.dw, p.ctx.store, entity('itens_pedido')!, batch, 50, { runId: first });
        await p.ctx.dw.db.transaction().execute((trx) => quarantine(trx, first, 'itens_pedido', staged.rejected));

        const second = newRunId();
        const outcome = await checkLoad(p, CONTROL_TOTALS_FACTS, second, await extractAll(p, ['itens_pedido'], second));
        expect(outcome).toMatchObject({ failing: 0, rejected: 1 });
        // that run wrote no copy of the row: the check found the earlier run's
        const written = await p.ctx.dw.db.selectFrom('etl.rejected_row').select('run_id').where('entity', '=', 'itens_pedido').execute();
        expect(written).toEqual([{ run_id: first }]);
      } finally {
        await p.close();
      }
    });
  });
});
