// Late-commit warnings and the late-row check, persisted (issue 8, item 1): a source row committed
// after a run's extract with an updated_at at or below that run's window end (application code
// backdating it: the open-transaction cap cannot see that) is caught by the next run's overlap, and
// that run counts it (etl.batch.late_rows) and warns (etl.run.warnings), as the runs API
// (readRunReport is its body) and the pipeline report show. A run with nothing late warns of nothing.
import { formatRunReport, readRunReport } from '../../shared/pipeline/run-report.js';
import { finishRun } from '../../shared/pipeline/run-audit.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { seedBase } from '../../shared/seed/base.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, testPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { expectReconciled, reconcile } from '../helpers/reconcile.js';
import { loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { QUEUES } from '../../shared/pipeline/messages.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const categorias = (p: TestPipeline, runId: string) =>
  p.ctx.dw.db
    .selectFrom('etl.batch')
    .select(['overlap_rows', 'tail_rows', 'late_rows', 'cap_status'])
    .where('run_id', '=', runId)
    .where('entity', '=', 'categorias')
    .executeTakeFirstOrThrow();

describe.each(testEngines())('late-row check and run warnings on $name', (engine) => {
  let p: TestPipeline;
  beforeEach(async () => {
    p = await testPipeline(engine, { EXTRACT_OVERLAP_MINUTES: '60' });
    await seedBase(p.ctx.oltp, { scale: 0.02, seed: 29, asOf: new Date(Date.now() - 86_400_000) });
  });
  afterEach(() => p?.close());

  it('counts a row committed below the previous window end, warns, and keeps both in the warehouse', async () => {
    const first = await dailyRun(p);
    // nothing to compare with on a first run
    expect(await categorias(p, first.runId)).toMatchObject({ late_rows: null, cap_status: expect.any(String) });
    const firstReport = (await readRunReport(p.ctx.dw.db, first.runId))!;
    expect(firstReport.warnings).toEqual([]);
    expect(firstReport.steps.find((s) => s.step === 'extract' && s.entity === 'categorias')!.lateCommits).toMatchObject({ lateRows: null });

    // committed after the first extract, with updated_at 10 minutes before its window end
    const { high_water } = await p.ctx.dw.db.selectFrom('etl.watermark').select('high_water').where('entity', '=', 'categorias').executeTakeFirstOrThrow();
    const backdated = new Date(new Date(high_water).getTime() - 10 * 60_000);
    await p.ctx.oltp.db
      .insertInto('oltp.categorias')
      .values({ id: 9001, codigo: 'cat-late', nome: 'Categoria atrasada', categoria_pai_id: null, created_at: backdated, updated_at: backdated })
      .execute();

    const second = await runExtract(p.ctx);
    if (second.status !== 'started') throw new Error('lease held');
    expect(second.caps.categorias).toMatchObject({ lateRows: 1 });
    expect(second.warnings).toEqual([expect.stringMatching(/^categorias: at least 1 row\(s\) committed after the previous extract .* 60-minute overlap/)]);
    // stored by the extract itself: a run that fails later keeps its warnings
    expect((await readRunReport(p.ctx.dw.db, second.runId))!.warnings).toEqual(second.warnings);
    await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
    await loadFacts(p.ctx, await p.receive(QUEUES.facts));

    const report = (await readRunReport(p.ctx.dw.db, second.runId))!;
    expect(report).toMatchObject({ status: 'succeeded', warnings: second.warnings });
    expect(report.steps.find((s) => s.step === 'extract' && s.entity === 'categorias')!.lateCommits).toMatchObject({ overlapRows: 1, lateRows: 1 });
    expect(report.steps.find((s) => s.step === 'extract' && s.entity === 'clientes')!.lateCommits).toMatchObject({ lateRows: 0 });
    const printed = formatRunReport(report);
    expect(printed).toContain('categorias: overlap re-read 1 rows, late rows at least 1');
    expect(printed).toContain(`warning: ${second.warnings[0]}`);
    // the row is in the warehouse: the overlap caught it
    expect(await p.ctx.dw.db.selectFrom('dw.dim_categoria').select('categoria_id').where('categoria_id', '=', 9001).execute()).toHaveLength(1);
    expectReconciled(await reconcile(p.ctx.oltp.db, p.ctx.dw.db), 'after the backdated row');

    // a failed run keeps the warnings its extract stored
    await finishRun(p.ctx.dw.db, second.runId, 'failed', new Error('later failure'));
    expect((await readRunReport(p.ctx.dw.db, second.runId))!.warnings).toEqual(second.warnings);

    // the run after it: the row is in the last window's tail now, nothing late, no warning
    const third = await dailyRun(p);
    const batch = await categorias(p, third.runId);
    expect([Number(batch.overlap_rows), Number(batch.late_rows)]).toEqual([1, 0]);
    const after = (await readRunReport(p.ctx.dw.db, third.runId))!;
    expect(after.warnings).toEqual([]);
    expect(formatRunReport(after)).not.toContain('late commits');
  });
});
