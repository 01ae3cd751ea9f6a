// On connection pools (PostgreSQL, SQL Server) the extract reads EXTRACT_CONCURRENCY entities at
// once (run-extract.ts). What users care about: the run extracts and loads exactly what a
// one-at-a-time extract does, the run's own snapshot transactions never hold each other's windows
// back (the source's open transactions are read once, before any of them starts), the load message
// lists the entities in their usual order, and a failing entity still fails the run cleanly.
import { readClock } from '../../shared/db/portable-sql.js';
import { ENTITIES } from '../../shared/pipeline/entities.js';
import { releaseLease } from '../../shared/pipeline/lease.js';
import { QUEUES } from '../../shared/pipeline/messages.js';
import { readRunReport } from '../../shared/pipeline/run-report.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { runIncrementalDay } from '../../shared/seed/incremental.js';
import { BatchStore } from '../../shared/storage/batch-store.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, factSnapshot, testPipeline, type TestPipeline, seedBaseEndingYesterday } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

/** The most extract steps of a run that were under way at the same moment (from etl.run_step). */
async function mostAtOnce(p: TestPipeline, runId: string): Promise<number> {
  const steps = await p.ctx.dw.db
    .selectFrom('etl.run_step')
    .select(['started_at', 'finished_at'])
    .where('run_id', '=', runId)
    .where('step', '=', 'extract')
    .execute();
  const at = (d: Date | string | null) => new Date(d!).getTime();
  return Math.max(...steps.map((s) => steps.filter((o) => at(o.started_at) <= at(s.started_at) && at(s.started_at) < at(o.finished_at)).length));
}

// PGlite has one connection and extracts one entity at a time; SQL Server takes the same path as PostgreSQL
const postgres = testEngines().find((e) => e.name === 'postgres');
(postgres ? describe : describe.skip)('concurrent extract on PostgreSQL', () => {
  const engine = postgres!;
  it('loads what a one-at-a-time extract loads, with no window held back by its own snapshots; a first load one entity at a time', async () => {
    // no safety lag: a window held back by one of the run's own transactions would show at once
    const together = await testPipeline(engine, { EXTRACT_CONCURRENCY: '3', EXTRACT_SAFETY_LAG_SECONDS: '0' });
    const oneByOne = await testPipeline(engine, { EXTRACT_CONCURRENCY: '1', EXTRACT_SAFETY_LAG_SECONDS: '0' });
    try {
      for (const p of [together, oneByOne]) await seedBaseEndingYesterday(p, { scale: 0.01, seed: 7 });
      const runs = await Promise.all([dailyRun(together), dailyRun(oneByOne)]);
      const at = await readClock(together.ctx.oltp.db);
      for (const p of [together, oneByOne]) await runIncrementalDay(p.ctx.oltp, { at, seed: 7 });
      const days = await Promise.all([dailyRun(together), dailyRun(oneByOne)]);
      expect(await factSnapshot(together.ctx)).toEqual(await factSnapshot(oneByOne.ctx));

      // the first load reads whole tables: one entity at a time, so the extract holds one entity's parts
      expect(await mostAtOnce(together, runs[0].runId)).toBe(1);
      expect(await mostAtOnce(together, days[0].runId)).toBeGreaterThan(1);
      expect(await mostAtOnce(together, days[0].runId)).toBeLessThanOrEqual(3);
      for (const { runId } of [runs[0], days[0]]) {
        const report = (await readRunReport(together.ctx.dw.db, runId))!;
        expect(report.status).toBe('succeeded');
        const extracts = report.steps.filter((s) => s.step === 'extract');
        expect(extracts).toHaveLength(ENTITIES.length);
        // nothing else writes to this source: no open transaction may cap any window
        for (const s of extracts) expect(s.lateCommits).toMatchObject({ cap: 'none', oldestOpenTransaction: null, heldBackMinutes: 0 });
      }
      expect(await mostAtOnce(oneByOne, days[1].runId)).toBe(1);
    } finally {
      await together.close();
      await oneByOne.close();
    }
  });

  it('lists the batches in entity order, and an entity that fails fails the run with its step, leaving none under way', async () => {
    const p = await testPipeline(engine, { EXTRACT_CONCURRENCY: '3' });
    try {
      await seedBaseEndingYesterday(p, { scale: 0.01, seed: 7 });
      await dailyRun(p);
      // the next day's extract: every entity has a watermark, so they extract side by side
      const first = await runExtract(p.ctx);
      expect(first.status).toBe('started');
      expect(await mostAtOnce(p, first.runId)).toBeGreaterThan(1);
      expect((await p.receive(QUEUES.dimensions)).batches.map((b) => b.entity)).toEqual(ENTITIES.map((e) => e.name));

      const writeBatch = BatchStore.prototype.writeBatch;
      BatchStore.prototype.writeBatch = async function (this: BatchStore, ...args: Parameters<BatchStore['writeBatch']>) {
        if (args[0].entity === 'produtos') throw new Error('the container is read-only');
        return writeBatch.apply(this, args);
      };
      // that run's load never ran: free its lease as the next trigger would once it expired
      await releaseLease(p.ctx.dw.db, first.runId);
      try {
        await expect(runExtract(p.ctx)).rejects.toThrow(/read-only/);
      } finally {
        BatchStore.prototype.writeBatch = writeBatch;
      }
      const run = await p.ctx.dw.db.selectFrom('etl.run').select(['run_id', 'status', 'error']).orderBy('run_id', 'desc').executeTakeFirstOrThrow();
      expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/read-only/) });
      const steps = await p.ctx.dw.db.selectFrom('etl.run_step').select(['entity', 'status']).where('run_id', '=', run.run_id).execute();
      expect(steps.find((s) => s.entity === 'produtos')?.status).toBe('failed');
      expect(steps.filter((s) => s.status !== 'succeeded' && s.status !== 'failed')).toEqual([]);
      expect(steps.filter((s) => s.status === 'failed').map((s) => s.entity)).toEqual(['produtos']);
      // the lease is free: the next trigger extracts everything
      const next = await runExtract(p.ctx);
      expect(next.status).toBe('started');
    } finally {
      await p.close();
    }
  });
});
