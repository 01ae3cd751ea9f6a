// The watchdog (shared/pipeline/watchdog.ts): a run that died during its extract (lease taken,
// extract step running, no message queued) is marked failed with the reason once its lease has
// expired, and a recovery run loads from the watermarks; with nothing dead it writes nothing, a live
// run is left alone, and of two watchdogs firing at once exactly one recovers. The kill -9 of a
// real process with a scheduled watchdog is tests/faults/watchdog.test.ts.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../../shared/db/schema/index.js';
import { acquireLease } from '../../shared/pipeline/lease.js';
import { loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { QUEUES } from '../../shared/pipeline/messages.js';
import { newRunId, startRun, startStep } from '../../shared/pipeline/run-audit.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { recoverDeadRun } from '../../shared/pipeline/watchdog.js';
import { seedBase } from '../../shared/seed/base.js';
import { testEngines } from '../helpers/engines.js';
import { testPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { expectReconciled, reconcile } from '../helpers/reconcile.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const lease = (dw: Kysely<WarehouseTables>) => dw.selectFrom('etl.lease').select(['holder', 'expires_at', 'acquired_at']).executeTakeFirstOrThrow();
const runs = (dw: Kysely<WarehouseTables>) =>
  dw.selectFrom('etl.run').select(['run_id', 'kind', 'status', 'error', 'requested_by']).orderBy('run_id').execute();

/** A run that died in its extract, as a killed process leaves it: the lease, its run row, one extract step running, no message. */
async function diedDuringExtract(p: TestPipeline): Promise<{ runId: string; expiry: Date }> {
  const runId = newRunId();
  expect((await acquireLease(p.ctx.dw.db, runId, p.ctx.settings.RUN_LEASE_MINUTES)).acquired).toBe(true);
  await startRun(p.ctx.dw.db, { runId, kind: 'daily' });
  await startStep(p.ctx.dw.db, runId, 'extract', 'categorias');
  return { runId, expiry: new Date((await lease(p.ctx.dw.db)).expires_at!) };
}

describe.each(testEngines())('watchdog on $name', (engine) => {
  let p: TestPipeline;
  beforeEach(async () => {
    p = await testPipeline(engine);
    await seedBase(p.ctx.oltp, { scale: 0.03, seed: 17, asOf: new Date(Date.now() - 86_400_000) });
  });
  afterEach(() => p?.close());

  it('does nothing when the lease is free or held by a live run (nothing written, nothing queued)', async () => {
    expect(await recoverDeadRun(p.ctx)).toMatchObject({ status: 'idle', holder: null });
    expect(await runs(p.ctx.dw.db)).toEqual([]);
    const live = await runExtract(p.ctx);
    expect(live.status).toBe('started');
    const before = { lease: await lease(p.ctx.dw.db), runs: await runs(p.ctx.dw.db) };
    const expiry = new Date(before.lease.expires_at!);
    // a live run: its lease has not expired yet (a heartbeat keeps renewing it while it works)
    expect(await recoverDeadRun(p.ctx, new Date(expiry.getTime() - 1000))).toMatchObject({ status: 'idle', holder: live.runId });
    expect({ lease: await lease(p.ctx.dw.db), runs: await runs(p.ctx.dw.db) }).toEqual(before);
    await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
    await loadFacts(p.ctx, await p.receive(QUEUES.facts));
    // finished: the lease is free again, and nothing is dead
    expect(await recoverDeadRun(p.ctx, new Date(expiry.getTime() + 60_000))).toMatchObject({ status: 'idle', holder: null });
    expect((await runs(p.ctx.dw.db)).map((r) => r.status)).toEqual(['succeeded']);
  });

  it('a run dead in its extract: marked failed with the reason, and the recovery run loads everything', async () => {
    const dead = await diedDuringExtract(p);
    const at = new Date(dead.expiry.getTime() + 1000);
    const outcome = await recoverDeadRun(p.ctx, at);
    if (outcome.status !== 'recovered') throw new Error(`not recovered: ${JSON.stringify(outcome)}`);
    expect(outcome).toMatchObject({ deadRun: dead.runId, leaseExpiredAt: dead.expiry, extract: { status: 'started', runId: outcome.recoveryRun } });
    expect(await runs(p.ctx.dw.db)).toEqual([
      {
        run_id: dead.runId,
        kind: 'daily',
        status: 'failed',
        error: `run presumed dead: its pipeline lease expired at ${dead.expiry.toISOString()} without a heartbeat; recovered by run ${outcome.recoveryRun}`,
        requested_by: null,
      },
      { run_id: outcome.recoveryRun, kind: 'daily', status: 'running', error: null, requested_by: 'watchdog' },
    ]);
    const deadStep = await p.ctx.dw.db.selectFrom('etl.run_step').select(['status', 'error']).where('run_id', '=', dead.runId).executeTakeFirstOrThrow();
    expect(deadStep).toEqual({ status: 'failed', error: expect.stringMatching(/^run presumed dead/) });
    await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
    await loadFacts(p.ctx, await p.receive(QUEUES.facts));
    expect((await runs(p.ctx.dw.db)).map((r) => r.status)).toEqual(['failed', 'succeeded']);
    const r = await reconcile(p.ctx.oltp.db, p.ctx.dw.db);
    expectReconciled(r, 'after a run dead in its extract and the watchdog');
    expect((await lease(p.ctx.dw.db)).holder).toBeNull();
  });

  it('two watchdogs firing at once: exactly one recovery run, no skipped run, one load queued', async () => {
    const dead = await diedDuringExtract(p);
    const at = new Date(dead.expiry.getTime() + 1000);
    const outcomes = await Promise.all([recoverDeadRun(p.ctx, at), recoverDeadRun(p.ctx, at)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['idle', 'recovered']);
    const recovered = outcomes.find((o) => o.status === 'recovered')!;
    if (recovered.status !== 'recovered') throw new Error('unreachable');
    expect((await runs(p.ctx.dw.db)).map((r) => [r.run_id, r.status])).toEqual([
      [dead.runId, 'failed'],
      [recovered.recoveryRun, 'running'],
    ]);
    expect((await lease(p.ctx.dw.db)).holder).toBe(recovered.recoveryRun);
    const message = await p.receive(QUEUES.dimensions);
    expect(message.runId).toBe(recovered.recoveryRun);
    await expect(p.receive(QUEUES.dimensions)).rejects.toThrow(/is empty/);
  });
});
