// What the dimension load does with bad input: rows that break their contract, tampered blobs,
// malformed messages, and two triggers at once.
import { entity } from '../../shared/pipeline/entities.js';
import { loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { InvalidMessageError, parseLoadMessage, QUEUES, type LoadMessage } from '../../shared/pipeline/messages.js';
import { releaseLease } from '../../shared/pipeline/lease.js';
import { finishStep, recordBatch, startRun, startStep } from '../../shared/pipeline/run-audit.js';
import { acquireLease } from '../../shared/pipeline/lease.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { testEngines } from '../helpers/engines.js';
import { testPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const ts = '2026-01-10T12:00:00.000Z';
const product = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  codigo: `P${id}`,
  nome: `Produto ${id}`,
  categoria_id: 1,
  preco_lista: '10.5000',
  custo: '4.0000',
  peso_g: 300,
  ativo: true,
  created_at: ts,
  updated_at: ts,
  ...over,
});

/** What the extract of a run leaves behind for one batch: the lease, the run, its extract step and etl.batch row. */
async function writeBatch(p: TestPipeline, runId: string, name: string, rows: Record<string, unknown>[]): Promise<LoadMessage> {
  const db = p.ctx.dw.db;
  expect(await acquireLease(db, runId, 5)).toMatchObject({ acquired: true });
  await startRun(db, { runId, kind: 'daily' });
  await startStep(db, runId, 'extract', name);
  const written = await p.ctx.store.writeBatch(
    { runId, entity: name, runDate: new Date(ts), window: { from: null, to: ts }, dateColumns: entity(name)!.dateColumns },
    (async function* () {
      yield* rows;
    })(),
    { maxRows: 3, maxBytes: 1 << 20 },
  );
  const window = { from: null, to: new Date(ts) };
  await recordBatch(db, runId, {
    entity: name,
    manifestPath: written.manifestPath,
    manifestSha256: written.manifestSha256,
    rowCount: written.manifest.rowCount,
    partCount: written.manifest.parts.length,
    window,
  });
  await finishStep(db, runId, 'extract', name, 'succeeded', { rows_read: written.manifest.rowCount });
  return { runId, kind: 'daily', batches: [{ entity: name, manifestPath: written.manifestPath }] };
}

describe.each(testEngines())('pipeline integrity on $name', (engine) => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await testPipeline(engine, { REJECT_THRESHOLD_PERCENT: '50' });
  });
  afterAll(() => p?.close());

  it('quarantines rows that break the contract with a reason; read = loaded + rejected', async () => {
    const rows = [
      product(1),
      product(2, { nome: null }),
      product(3, { preco_lista: '-1.0000' }),
      product(4, { updated_at: '31/12/2025 10:00' }),
      product(5, { preco_lista: 'doze' }),
      product(6),
      product(6, { nome: 'Produto 6 v2', updated_at: '2026-01-10T12:00:01.000Z' }),
      product(7),
      product(8),
      product(9),
    ];
    const message = await writeBatch(p, 'r-quarantine', 'produtos', rows);
    const [report] = await loadDimensions(p.ctx, message);
    await loadFacts(p.ctx, await p.receive(QUEUES.facts));
    expect(report).toMatchObject({ entity: 'produtos', read: 10, rejected: 4, inserted: 5 });
    const rejected = await p.ctx.dw.db
      .selectFrom('etl.rejected_row')
      .select(['business_key', 'reason'])
      .where('run_id', '=', 'r-quarantine')
      .orderBy('seq')
      .execute();
    expect(rejected).toEqual([
      { business_key: '2', reason: expect.stringMatching(/^nome: /) },
      { business_key: '3', reason: 'preco_lista: must not be negative' },
      { business_key: '4', reason: expect.stringMatching(/^updated_at: not a UTC ISO-8601 timestamp/) },
      { business_key: '5', reason: expect.stringMatching(/^preco_lista: not a decimal/) },
    ]);
    // duplicates inside the batch collapse to the latest version
    const six = await p.ctx.dw.db.selectFrom('dw.dim_produto').select('nome').where('produto_id', '=', 6).execute();
    expect(six).toEqual([{ nome: 'Produto 6 v2' }]);
    const step = await p.ctx.dw.db.selectFrom('etl.run_step').selectAll().where('run_id', '=', 'r-quarantine').executeTakeFirstOrThrow();
    expect(Number(step.rows_read)).toBe(Number(step.rows_loaded) + Number(step.rows_rejected));
    // a product whose category has not arrived yet is kept, named "Desconhecida"
    expect((await p.ctx.dw.db.selectFrom('dw.dim_produto').select('categoria').where('produto_id', '=', 1).executeTakeFirstOrThrow()).categoria).toBe(
      'Desconhecida',
    );
  });

  it('fails the load past the reject threshold and changes nothing', async () => {
    const before = await p.ctx.dw.db.selectFrom('dw.dim_produto').selectAll().orderBy('produto_key').execute();
    const message = await writeBatch(p, 'r-threshold', 'produtos', [product(20, { preco_lista: '-1' }), product(21, { preco_lista: '-2' }), product(22)]);
    await expect(loadDimensions(p.ctx, message)).rejects.toThrow(/produtos: 2 of 3 rows rejected, more than REJECT_THRESHOLD_PERCENT=50%/);
    expect(await p.ctx.dw.db.selectFrom('dw.dim_produto').selectAll().orderBy('produto_key').execute()).toEqual(before);
    expect((await p.ctx.dw.db.selectFrom('etl.run').select('status').where('run_id', '=', 'r-threshold').executeTakeFirstOrThrow()).status).toBe('failed');
    // a failed run keeps the lease for its retries; once given up (poison) the lease would expire
    await releaseLease(p.ctx.dw.db, 'r-threshold');
  });

  it('refuses a batch whose part does not match its checksum', async () => {
    const message = await writeBatch(p, 'r-tampered', 'produtos', [product(30), product(31), product(32), product(33)]);
    const manifest = await p.ctx.store.readManifest(message.batches[0]!.manifestPath);
    const tampered = manifest.parts[1]!.path;
    await p.ctx.store.container.getBlockBlobClient(tampered).uploadData(Buffer.from('not what was extracted'));
    await expect(loadDimensions(p.ctx, message)).rejects.toThrow(`checksum mismatch for ${tampered}`);
    expect(await p.ctx.dw.db.selectFrom('dw.dim_produto').select('produto_id').where('produto_id', '>=', 30).execute()).toEqual([]);
    await releaseLease(p.ctx.dw.db, 'r-tampered');
  });

  it('rejects malformed messages as permanent errors', () => {
    expect(() => parseLoadMessage('{"runId": 1')).toThrow(InvalidMessageError);
    expect(() => parseLoadMessage({ runId: 'r', kind: 'weekly', batches: [] })).toThrow(/kind: /);
    expect(() => parseLoadMessage('89e7073266')).toThrow(/invalid queue message/);
    expect(parseLoadMessage({ runId: 'r', kind: 'daily', batches: [] })).toEqual({ runId: 'r', kind: 'daily', batches: [] });
  });

  it('runs one run at a time: of two simultaneous triggers one extracts, the other exits cleanly', async () => {
    const [a, b] = await Promise.all([runExtract(p.ctx), runExtract(p.ctx)]);
    const outcomes = [a.status, b.status].sort();
    expect(outcomes).toEqual(['skipped', 'started']);
    const started = a.status === 'started' ? a : b;
    const skipped = a.status === 'skipped' ? a : b;
    expect(skipped).toMatchObject({ heldBy: started.runId });
    // while the run is in flight (its dimension message not yet processed), triggers keep exiting
    expect((await runExtract(p.ctx)).status).toBe('skipped');
    await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
    // the lease is held until the run's last step, the fact load
    expect((await runExtract(p.ctx)).status).toBe('skipped');
    await loadFacts(p.ctx, await p.receive(QUEUES.facts));
    const runs = await p.ctx.dw.db.selectFrom('etl.run').select(['run_id', 'status']).where('run_id', 'in', [a.runId, b.runId]).execute();
    expect(runs.map((r) => r.status).sort()).toEqual(['skipped', 'succeeded']);
    // the lease is free again
    const next = await runExtract(p.ctx);
    expect(next.status).toBe('started');
    await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
    await loadFacts(p.ctx, await p.receive(QUEUES.facts));
  });
});
