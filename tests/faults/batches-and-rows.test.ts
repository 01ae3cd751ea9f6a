// Faults in what a load reads: a corrupted part and a deleted part of a batch, the same load
// message delivered twice, and source rows that break their contract below and above
// REJECT_THRESHOLD_PERCENT. Each case ends with the warehouse reconciled against the source.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../../shared/db/schema/index.js';
import { loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { QUEUES } from '../../shared/pipeline/messages.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { seedBase } from '../../shared/seed/base.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, factSnapshot, testPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { expectReconciled, reconcile } from '../helpers/reconcile.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const pglite = testEngines().find((e) => e.name === 'pglite')!;
const asOf = () => new Date(Date.now() - 86_400_000);

/** A failed run keeps its lease for the queue's retries; this stands in for RUN_LEASE_MINUTES passing. */
async function expireLease(dw: Kysely<WarehouseTables>): Promise<void> {
  await dw
    .updateTable('etl.lease')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where('holder', 'is not', null)
    .execute();
}

const count = async (dw: Kysely<WarehouseTables>, table: 'dw.dim_cliente' | 'dw.fact_vendas' | 'ods.pedidos' | 'ods.itens_pedido') =>
  Number(
    (
      await dw
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const watermarks = (dw: Kysely<WarehouseTables>) => dw.selectFrom('etl.watermark').select(['entity', 'high_water']).orderBy('entity').execute();
const runStatus = async (dw: Kysely<WarehouseTables>, runId: string) =>
  (await dw.selectFrom('etl.run').select('status').where('run_id', '=', runId).executeTakeFirstOrThrow()).status;

async function reconciled(p: TestPipeline, what: string) {
  const r = await reconcile(p.ctx.oltp.db, p.ctx.dw.db);
  expectReconciled(r, what);
  expect(r.watermarkViolations).toEqual([]);
  return r;
}

describe('a corrupted and a deleted part of a batch', () => {
  let p: TestPipeline;
  beforeEach(async () => {
    p = await testPipeline(pglite, { EXTRACT_PART_MAX_ROWS: '100' });
    await seedBase(p.ctx.oltp, { scale: 0.05, seed: 5, asOf: asOf() });
  });
  afterEach(() => p?.close());

  it('a corrupted clientes part fails the dimension load naming the part; no customer loaded; a re-extract converges', async () => {
    const run = await runExtract(p.ctx);
    if (run.status !== 'started') throw new Error('skipped');
    const message = await p.receive(QUEUES.dimensions);
    const manifest = await p.ctx.store.readManifest(message.batches.find((b) => b.entity === 'clientes')!.manifestPath);
    expect(manifest.parts.length).toBeGreaterThan(1);
    const part = manifest.parts[1]!.path;
    await p.ctx.store.container.getBlockBlobClient(part).uploadData(Buffer.from('{"id": 1, "nome": "not what was extracted"}\n'));
    await expect(loadDimensions(p.ctx, message)).rejects.toThrow(`checksum mismatch for ${part}`);
    expect(await count(p.ctx.dw.db, 'dw.dim_cliente')).toBe(1); // the unknown member only
    expect((await watermarks(p.ctx.dw.db)).map((w) => w.entity)).not.toContain('clientes');
    expect(await runStatus(p.ctx.dw.db, run.runId)).toBe('failed');
    const mid = await reconcile(p.ctx.oltp.db, p.ctx.dw.db);
    expect(mid.watermarkViolations).toEqual([]);
    expect(mid.differences.length).toBeGreaterThan(0);

    await expireLease(p.ctx.dw.db);
    await dailyRun(p);
    await reconciled(p, 'after a corrupted part and a re-extract');
  });

  it('a deleted itens_pedido part fails the fact load naming the part; no order or item loaded; a re-extract converges', async () => {
    const run = await runExtract(p.ctx);
    if (run.status !== 'started') throw new Error('skipped');
    await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
    const message = await p.receive(QUEUES.facts);
    const manifest = await p.ctx.store.readManifest(message.batches.find((b) => b.entity === 'itens_pedido')!.manifestPath);
    const part = manifest.parts[manifest.parts.length - 1]!.path;
    await p.ctx.store.container.getBlockBlobClient(part).delete();
    const before = await watermarks(p.ctx.dw.db);
    await expect(loadFacts(p.ctx, message)).rejects.toThrow(`blob ${part} does not exist`);
    expect([await count(p.ctx.dw.db, 'dw.fact_vendas'), await count(p.ctx.dw.db, 'ods.pedidos'), await count(p.ctx.dw.db, 'ods.itens_pedido')]).toEqual([
      0, 0, 0,
    ]);
    expect(await watermarks(p.ctx.dw.db)).toEqual(before);
    expect(before.map((w) => w.entity)).not.toContain('itens_pedido');
    expect(await runStatus(p.ctx.dw.db, run.runId)).toBe('failed');
    expect((await reconcile(p.ctx.oltp.db, p.ctx.dw.db)).watermarkViolations).toEqual([]);

    await expireLease(p.ctx.dw.db);
    await dailyRun(p);
    await reconciled(p, 'after a deleted part and a re-extract');
  });
});

describe('the same load messages delivered twice in sequence', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await testPipeline(pglite);
    await seedBase(p.ctx.oltp, { scale: 0.05, seed: 6, asOf: asOf() });
  });
  afterAll(() => p?.close());

  it('the second delivery of each changes nothing; the run succeeds and the lease is free', async () => {
    const run = await runExtract(p.ctx);
    if (run.status !== 'started') throw new Error('skipped');
    const dimensions = await p.receive(QUEUES.dimensions);
    await loadDimensions(p.ctx, dimensions);
    const facts = await p.receive(QUEUES.facts);
    await loadDimensions(p.ctx, dimensions); // redelivered: queues the fact load a second time
    expect(await p.receive(QUEUES.facts)).toEqual(facts);
    await loadFacts(p.ctx, facts);
    const once = await factSnapshot(p.ctx);
    const marks = await watermarks(p.ctx.dw.db);
    await loadFacts(p.ctx, facts);
    expect(await factSnapshot(p.ctx)).toEqual(once);
    expect(await watermarks(p.ctx.dw.db)).toEqual(marks);
    expect(await runStatus(p.ctx.dw.db, run.runId)).toBe('succeeded');
    expect((await p.ctx.dw.db.selectFrom('etl.lease').select('holder').executeTakeFirstOrThrow()).holder).toBeNull();
    await reconciled(p, 'after duplicate deliveries');
  });
});

describe('source rows that break their contract', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await testPipeline(pglite); // REJECT_THRESHOLD_PERCENT 5 (the default)
    await seedBase(p.ctx.oltp, { scale: 0.05, seed: 8, asOf: asOf() });
  });
  afterAll(() => p?.close());

  /** Items the source lets through with a negative quantity (it has no CHECK constraints). */
  async function breakItems(n: number): Promise<number[]> {
    const ids = (await p.ctx.oltp.db.selectFrom('oltp.itens_pedido').select('id').where('quantidade', '>', 0).orderBy('id', 'desc').limit(n).execute()).map(
      (r) => r.id,
    );
    await p.ctx.oltp.db.updateTable('oltp.itens_pedido').set({ quantidade: -1, updated_at: new Date() }).where('id', 'in', ids).execute();
    return ids;
  }

  it('below the threshold: the bad items are quarantined with a reason and counted, the rest loads', async () => {
    const bad = await breakItems(3);
    const { runId } = await dailyRun(p);
    const rejected = await p.ctx.dw.db
      .selectFrom('etl.rejected_row')
      .select(['entity', 'business_key', 'reason'])
      .where('run_id', '=', runId)
      .orderBy('seq')
      .execute();
    expect(rejected.map((r) => [r.entity, Number(r.business_key), r.reason]).sort()).toEqual(
      bad.map((id) => ['itens_pedido', id, 'quantidade: must be positive']).sort(),
    );
    const step = await p.ctx.dw.db
      .selectFrom('etl.run_step')
      .selectAll()
      .where('run_id', '=', runId)
      .where('step', '=', 'facts')
      .where('entity', '=', 'itens_pedido')
      .executeTakeFirstOrThrow();
    expect(Number(step.rows_rejected)).toBe(3);
    expect(Number(step.rows_read)).toBe(Number(step.rows_loaded) + 3);
    const r = await reconciled(p, 'with 3 items quarantined');
    expect(r.quarantined.itens_pedido).toBe(3);
  });

  it('above the threshold: the fact load fails and nothing moves; once the source is fixed a run converges', async () => {
    const items = Number(
      (
        await p.ctx.oltp.db
          .selectFrom('oltp.itens_pedido')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const before = { facts: await factSnapshot(p.ctx), watermarks: await watermarks(p.ctx.dw.db) };
    // the window re-reads only what changed: 10 bad rows of an incremental batch are far above 5%
    const bad = await breakItems(Math.ceil(items * 0.1));
    const run = await runExtract(p.ctx);
    if (run.status !== 'started') throw new Error('skipped');
    await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
    await expect(loadFacts(p.ctx, await p.receive(QUEUES.facts))).rejects.toThrow(
      /itens_pedido: \d+ of \d+ rows rejected, more than REJECT_THRESHOLD_PERCENT=5%/,
    );
    expect(await factSnapshot(p.ctx)).toEqual(before.facts);
    // the dimensions loaded (their own transactions); no fact entity's watermark moved
    const facts = (w: { entity: string }[]) => w.filter((x) => ['pedidos', 'itens_pedido', 'pagamentos', 'metas'].includes(x.entity));
    expect(facts(await watermarks(p.ctx.dw.db))).toEqual(facts(before.watermarks));
    expect(facts(before.watermarks)).toHaveLength(4);
    expect(await runStatus(p.ctx.dw.db, run.runId)).toBe('failed');
    expect((await reconcile(p.ctx.oltp.db, p.ctx.dw.db)).watermarkViolations).toEqual([]);

    await p.ctx.oltp.db.updateTable('oltp.itens_pedido').set({ quantidade: 1, updated_at: new Date() }).where('id', 'in', bad).execute();
    await expireLease(p.ctx.dw.db);
    await dailyRun(p);
    await reconciled(p, 'after the source was fixed');
  });
});
