// Which telemetry the pipeline sends when, driven in-process with a recording Telemetry
// (tests/helpers/telemetry-capture.ts): a failed quality gate is a final failure whose error is the
// check's name, with one QualityGateFailed per failing check and one alert; an extract that fails
// is final; a transient error retried in the same invocation is only a PipelineStepRetried; a run
// found dead gets its PipelineRunFailed from the run that takes its lease over.
// (The real SDK against an HTTPS endpoint: telemetry-ingestion.test.ts.)
import { sql } from 'kysely';
import { readClock } from '../../shared/db/portable-sql.js';
import { factFaults } from '../../shared/pipeline/facts/steps.js';
import { loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { MAX_DEQUEUE_COUNT, QUEUES } from '../../shared/pipeline/messages.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { startRun } from '../../shared/pipeline/run-audit.js';
import { runIncrementalDay } from '../../shared/seed/incremental.js';
import { BatchStore } from '../../shared/storage/batch-store.js';
import { EVENTS } from '../../shared/telemetry/events.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, pipelineFixture, type TestPipeline, seedBaseEndingYesterday } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';
import { captureTelemetry } from '../helpers/telemetry-capture.js';

afterAll(() => stopStorage());

function observed(p: TestPipeline) {
  const c = captureTelemetry();
  p.ctx.telemetry = c.telemetry;
  p.ctx.log = c.log;
  return c;
}

describe('pipeline telemetry (PGlite)', () => {
  const loaded = pipelineFixture(testEngines()[0]!, async (p) => {
    await seedBaseEndingYesterday(p, { scale: 0.03, seed: 7 });
    return dailyRun(p);
  });

  afterEach(() => {
    factFaults.afterSales = undefined;
  });

  it('a fact R$ 0.01 off fails the gate for good: PipelineRunFailed names the check, QualityGateFailed carries what it saw, one alert', async () => {
    const p = await loaded.fork();
    try {
      const c = observed(p);
      await runIncrementalDay(p.ctx.oltp, { at: await readClock(p.ctx.oltp.db), seed: 7 });
      let runId = '';
      // one of this run's facts: the gate inside the fact load's transaction checks the run's rows
      factFaults.afterSales = async (trx) => {
        await sql`update dw.fact_vendas set valor_liquido = valor_liquido + 0.01 where item_id = (select max(item_id) from dw.fact_vendas where run_id = ${runId})`.execute(
          trx,
        );
      };
      const extract = await runExtract(p.ctx);
      runId = extract.runId;
      if (extract.status !== 'started') throw new Error('run skipped');
      await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
      // a queue delivery (the first of five): a quality gate failure is final all the same
      p.ctx.delivery = { dequeueCount: 1, maxDequeueCount: MAX_DEQUEUE_COUNT };
      await expect(loadFacts(p.ctx, await p.receive(QUEUES.facts))).rejects.toThrow(/fact_vendas_money_identities/);

      const failed = c.named(EVENTS.runFailed);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.properties).toMatchObject({
        job: 'daily-elt',
        runId: extract.runId,
        step: 'facts',
        final: 'true',
        check: 'fact_vendas_money_identities',
        error: 'QualityGateError: fact_vendas_money_identities',
        attempt: '1',
      });
      const gate = c.named(EVENTS.qualityGateFailed);
      expect(gate.map((e) => e.properties.check)).toEqual(['fact_vendas_money_identities']);
      expect(gate[0]!.properties).toMatchObject({ runId: extract.runId, phase: 'facts', severity: 'blocking' });
      expect(gate[0]!.properties.observed).toMatch(/^1 fact rows breaking a money identity/);
      expect(c.exceptions).toHaveLength(1);
      expect(c.named(EVENTS.stepRetried)).toEqual([]);
      expect(c.alertLines).toHaveLength(1);
      expect(c.alertLines[0]).toContain(`run=${extract.runId} step=facts`);
      expect(c.alertLines[0]).toContain('check=fact_vendas_money_identities');
      expect(c.posts.map((a) => [a.runId, a.check])).toEqual([[extract.runId, 'fact_vendas_money_identities']]);
      // the dimension steps completed before it, each with its counts
      expect(c.named(EVENTS.stepCompleted).filter((e) => e.properties.step === 'dimensions').length).toBeGreaterThan(0);
    } finally {
      await p.close();
    }
  });

  it('an extract that fails is final: one PipelineRunFailed naming the step and entity, no retry event for a permanent error', async () => {
    const p = await loaded.fork();
    const writeBatch = BatchStore.prototype.writeBatch;
    BatchStore.prototype.writeBatch = async () => {
      throw new Error('the container is read-only');
    };
    try {
      const c = observed(p);
      await expect(runExtract(p.ctx)).rejects.toThrow(/read-only/);
      expect(c.named(EVENTS.runStarted)).toHaveLength(1);
      const failed = c.named(EVENTS.runFailed);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.properties).toMatchObject({ step: 'extract', final: 'true', error: 'Error: the container is read-only' });
      expect(failed[0]!.properties.entity).toBeTruthy();
      expect(c.named(EVENTS.stepRetried)).toEqual([]);
      expect(c.alertLines).toHaveLength(1);
    } finally {
      BatchStore.prototype.writeBatch = writeBatch;
      await p.close();
    }
  });

  it('a transient error retried in the same invocation sends PipelineStepRetried only, and the run succeeds', async () => {
    const p = await loaded.fork();
    p.ctx.retry = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };
    const writeBatch = BatchStore.prototype.writeBatch;
    let calls = 0;
    BatchStore.prototype.writeBatch = async function (this: BatchStore, ...args: Parameters<BatchStore['writeBatch']>) {
      if (++calls === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      return writeBatch.apply(this, args);
    };
    try {
      const c = observed(p);
      await dailyRun(p);
      const retried = c.named(EVENTS.stepRetried);
      expect(retried).toHaveLength(1);
      expect(retried[0]!.properties).toMatchObject({ step: 'extract', final: 'false', attempt: '1' });
      expect(retried[0]!.properties.error).toContain('socket hang up');
      expect(c.named(EVENTS.runFailed)).toEqual([]);
      expect(c.named(EVENTS.runSucceeded)).toHaveLength(1);
      expect(c.alertLines).toEqual([]);
    } finally {
      BatchStore.prototype.writeBatch = writeBatch;
      await p.close();
    }
  });

  it('a run found dead gets its one PipelineRunFailed from the run that takes its lease over', async () => {
    const p = await loaded.fork();
    try {
      const c = observed(p);
      const dead = 'dead-run-1';
      await startRun(p.ctx.dw.db, { runId: dead, kind: 'daily' });
      await p.ctx.dw.db
        .updateTable('etl.lease')
        .set({ holder: dead, acquired_at: new Date(Date.now() - 3_600_000), expires_at: new Date(Date.now() - 60_000) })
        .where('name', '=', 'pipeline')
        .execute();
      const extract = await runExtract(p.ctx);
      const failed = c.named(EVENTS.runFailed);
      expect(failed.map((e) => e.properties.runId)).toEqual([dead]);
      expect(failed[0]!.properties.error).toContain(`recovered by run ${extract.runId}`);
      expect(c.alertLines).toHaveLength(1);
      expect(c.alertLines[0]).toContain(`run=${dead}`);
    } finally {
      await p.close();
    }
  });
});
