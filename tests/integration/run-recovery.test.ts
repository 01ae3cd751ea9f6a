// Dead runs recovered and messages that cannot hijack the pipeline (issue 8, items 2 and 3):
// a stray or out-of-place load message is refused with lease and etl.run untouched; two
// deliveries of the same message at once serialise and the counts stay right; a run that stops
// heartbeating is marked failed by the next trigger, which goes on; a final failure releases the
// lease; a manifest whose checksum is not the one etl.batch recorded is refused; a load that lost
// its lease cannot commit. Each case that loads ends with the warehouse reconciled to the source.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../../shared/db/schema/index.js';
import { extractOrRetryLater } from '../../shared/pipeline/extract-or-retry.js';
import { factFaults } from '../../shared/pipeline/facts/steps.js';
import { LeaseLostError, startHeartbeat } from '../../shared/pipeline/lease.js';
import { faults, loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { extractRetryDelaySeconds, QUEUES, RefusedMessageError, type LoadMessage } from '../../shared/pipeline/messages.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { seedBase } from '../../shared/seed/base.js';
import { testEngines } from '../helpers/engines.js';
import { testPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { expectReconciled, reconcile } from '../helpers/reconcile.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const asOf = () => new Date(Date.now() - 86_400_000);
const lease = (dw: Kysely<WarehouseTables>) => dw.selectFrom('etl.lease').select(['holder', 'expires_at', 'acquired_at']).executeTakeFirstOrThrow();
const runs = (dw: Kysely<WarehouseTables>) => dw.selectFrom('etl.run').selectAll().orderBy('run_id').execute();
const run = (dw: Kysely<WarehouseTables>, runId: string) =>
  dw.selectFrom('etl.run').select(['status', 'error']).where('run_id', '=', runId).executeTakeFirstOrThrow();
const steps = (dw: Kysely<WarehouseTables>, runId: string, step: string) =>
  dw
    .selectFrom('etl.run_step')
    .select(['entity', 'status', 'rows_read', 'rows_loaded', 'rows_rejected', 'rows_inserted', 'rows_updated', 'rows_unchanged'])
    .where('run_id', '=', runId)
    .where('step', '=', step)
    .orderBy('entity')
    .execute();

async function started(p: TestPipeline, now?: Date) {
  const outcome = await runExtract(p.ctx, now ? { now } : {});
  if (outcome.status !== 'started') throw new Error(`skipped: lease held by ${outcome.heldBy}`);
  return outcome;
}

async function reconciled(p: TestPipeline, what: string) {
  const r = await reconcile(p.ctx.oltp.db, p.ctx.dw.db);
  expectReconciled(r, what);
  expect(r.watermarkViolations).toEqual([]);
}

describe.each(testEngines())('run recovery on $name', (engine) => {
  let p: TestPipeline;
  beforeEach(async () => {
    p = await testPipeline(engine);
    await seedBase(p.ctx.oltp, { scale: 0.03, seed: 11, asOf: asOf() });
  });
  afterEach(() => p?.close());

  it('refuses stray and out-of-place load messages with the lease and etl.run untouched', async () => {
    const a = await started(p);
    const real = await p.receive(QUEUES.dimensions);
    const before = { lease: await lease(p.ctx.dw.db), runs: await runs(p.ctx.dw.db) };
    const refused: [string, LoadMessage, RegExp][] = [
      ['unknown run', { ...real, runId: '20990101T000000000Z-dead00' }, /no such run/],
      ['wrong kind', { ...real, kind: 'backfill' }, /the run is a daily run/],
      [
        'a batch the run did not extract',
        { ...real, batches: [{ entity: 'clientes', manifestPath: 'clientes/x/_manifest.json' }] },
        /not a batch the run extracted/,
      ],
      ['an entity twice', { ...real, batches: [real.batches[0]!, real.batches[0]!] }, /listed twice/],
    ];
    for (const [what, message, reason] of refused) {
      await expect(loadDimensions(p.ctx, message)).rejects.toThrow(RefusedMessageError);
      await expect(loadFacts(p.ctx, message)).rejects.toThrow(reason);
      expect({ what, lease: await lease(p.ctx.dw.db), runs: await runs(p.ctx.dw.db) }).toEqual({ what, ...before });
    }
    // the real message goes through; afterwards a run that holds no lease is refused, untouched
    await loadDimensions(p.ctx, real);
    await loadFacts(p.ctx, await p.receive(QUEUES.facts));
    const skipped = await runExtract(p.ctx);
    if (skipped.status !== 'started') throw new Error('skipped');
    const b = await p.receive(QUEUES.dimensions);
    const during = { lease: await lease(p.ctx.dw.db), runs: await runs(p.ctx.dw.db) };
    // run a's message again while run b holds the lease: a succeeded run's duplicate does nothing
    await expect(loadDimensions(p.ctx, real)).resolves.toEqual([]);
    expect({ lease: await lease(p.ctx.dw.db), runs: await runs(p.ctx.dw.db) }).toEqual(during);
    expect((await run(p.ctx.dw.db, a.runId)).status).toBe('succeeded');
    await loadDimensions(p.ctx, b);
    await loadFacts(p.ctx, await p.receive(QUEUES.facts));
    await reconciled(p, 'after stray messages');
  });

  it('serialises two deliveries of the same message processed at the same time: one loads, the counts stay right', async () => {
    const a = await started(p);
    const message = await p.receive(QUEUES.dimensions);
    const ctx = { ...p.ctx, lease: { claimPollMs: 50 } };
    const [first, second] = await Promise.all([loadDimensions(ctx, message), loadDimensions(ctx, message)]);
    // one delivery loaded every dimension, the other found them loaded
    const loaded = first.length > 0 ? first : second;
    expect([first.length, second.length].sort()).toEqual([0, loaded.length]);
    expect(loaded.length).toBeGreaterThan(0);
    const recorded = await steps(p.ctx.dw.db, a.runId, 'dimensions');
    expect(recorded).toHaveLength(loaded.length);
    for (const r of loaded)
      expect(recorded.find((s) => s.entity === r.entity)).toMatchObject({
        status: 'succeeded',
        rows_read: r.read,
        rows_inserted: r.inserted,
        rows_updated: r.updated,
        rows_unchanged: r.unchanged,
      });
    expect(loaded.reduce((n, r) => n + r.inserted, 0)).toBeGreaterThan(0);
    // both handed the run to the fact load; both fact messages at once, too
    const facts = [await p.receive(QUEUES.facts), await p.receive(QUEUES.facts)];
    expect(facts[0]).toEqual(facts[1]);
    await Promise.all(facts.map((m) => loadFacts(ctx, m)));
    expect(await run(p.ctx.dw.db, a.runId)).toEqual({ status: 'succeeded', error: null });
    const batches = await p.ctx.dw.db.selectFrom('etl.batch').select(['entity', 'row_count']).where('run_id', '=', a.runId).execute();
    for (const s of [...(await steps(p.ctx.dw.db, a.runId, 'facts')), ...recorded]) {
      expect(s.status).toBe('succeeded');
      expect(s.rows_read).toBe(batches.find((b) => b.entity === s.entity)!.row_count);
      expect(s.rows_loaded + s.rows_rejected).toBe(s.rows_read);
    }
    expect((await lease(p.ctx.dw.db)).holder).toBeNull();
    await reconciled(p, 'after concurrent deliveries');
  });

  it('a run that stops heartbeating is marked failed by the next trigger after its lease expires, which goes on', async () => {
    const dead = await started(p);
    // the process dies before the dimension load: no heartbeat renews the lease any more
    const orphan = await p.receive(QUEUES.dimensions);
    const { expires_at } = await lease(p.ctx.dw.db);
    const expiry = new Date(expires_at!);
    expect(expiry.getTime() - Date.now()).toBeLessThanOrEqual(p.ctx.settings.RUN_LEASE_MINUTES * 60_000);
    // a trigger before the expiry is skipped; the first one after it recovers
    expect((await runExtract(p.ctx, { now: new Date(expiry.getTime() - 1000) })).status).toBe('skipped');
    const next = await started(p, new Date(expiry.getTime() + 1000));
    expect(await run(p.ctx.dw.db, dead.runId)).toEqual({
      status: 'failed',
      error: expect.stringMatching(new RegExp(`lease expired at ${expiry.toISOString()} without a heartbeat; recovered by run ${next.runId}`)),
    });
    // the dead run's message, delivered late, is refused: the new run holds the lease
    const holder = await lease(p.ctx.dw.db);
    await expect(loadDimensions(p.ctx, orphan)).rejects.toThrow(/does not hold the pipeline lease/);
    expect(await lease(p.ctx.dw.db)).toEqual(holder);
    await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
    await loadFacts(p.ctx, await p.receive(QUEUES.facts));
    expect((await run(p.ctx.dw.db, next.runId)).status).toBe('succeeded');
    await reconciled(p, 'after a dead run');
  });

  it('the heartbeat renews the lease while work goes on and stops with it; a load that lost its lease rolls back and moves no watermark', async () => {
    const a = await started(p);
    const expiry = async () => new Date((await lease(p.ctx.dw.db)).expires_at!).getTime();
    const warnings: string[] = [];
    const log = { warn: (m: string) => void warnings.push(m) };
    const before = await expiry();
    const beat = startHeartbeat(p.ctx.dw.db, a.runId, p.ctx.settings.RUN_LEASE_MINUTES, log, 50);
    await new Promise((r) => setTimeout(r, 400));
    await beat.stop();
    const renewed = await expiry();
    expect(renewed).toBeGreaterThan(before);
    await new Promise((r) => setTimeout(r, 200));
    expect(await expiry()).toBe(renewed); // stopped: a dead process renews nothing
    // a heartbeat that finds the lease taken says so, and the step stops at its next boundary
    const lost = startHeartbeat(p.ctx.dw.db, 'another-run', 1, log, 50);
    await new Promise((r) => setTimeout(r, 200));
    await lost.stop();
    expect(lost.lost).toBe(true);
    expect(() => lost.assertHeld()).toThrow(LeaseLostError);
    expect(warnings).toContain('the pipeline lease was lost: this run will not commit again');

    // the lease changes hands inside the fact load's transaction: it cannot commit
    await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
    const watermarks = await p.ctx.dw.db.selectFrom('etl.watermark').selectAll().orderBy('entity').execute();
    factFaults.afterSales = async (trx) => {
      await trx.updateTable('etl.lease').set({ holder: 'someone-else' }).where('name', '=', 'pipeline').execute();
    };
    try {
      await expect(loadFacts(p.ctx, await p.receive(QUEUES.facts))).rejects.toThrow(LeaseLostError);
    } finally {
      factFaults.afterSales = undefined;
    }
    expect(await p.ctx.dw.db.selectFrom('etl.watermark').selectAll().orderBy('entity').execute()).toEqual(watermarks);
    expect(
      Number(
        (
          await p.ctx.dw.db
            .selectFrom('dw.fact_vendas')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    ).toBe(0);
  });

  it('a final failure releases the lease: the last attempt, or an error no retry can fix; earlier attempts keep it', async () => {
    const a = await started(p);
    const message = await p.receive(QUEUES.dimensions);
    faults.afterMerge = async () => {
      throw new Error('injected failure');
    };
    try {
      await expect(loadDimensions({ ...p.ctx, delivery: { dequeueCount: 4, maxDequeueCount: 5 } }, message)).rejects.toThrow('injected');
      expect((await lease(p.ctx.dw.db)).holder).toBe(a.runId);
      expect((await run(p.ctx.dw.db, a.runId)).status).toBe('failed');
      await expect(loadDimensions({ ...p.ctx, delivery: { dequeueCount: 5, maxDequeueCount: 5 } }, message)).rejects.toThrow('injected');
    } finally {
      faults.afterMerge = undefined;
    }
    expect((await lease(p.ctx.dw.db)).holder).toBeNull();
    expect(await run(p.ctx.dw.db, a.runId)).toEqual({ status: 'failed', error: expect.stringContaining('given up: last attempt (5 of 5)') });
    // once given up, the run's message is refused; the next trigger starts at once
    await expect(loadDimensions(p.ctx, message)).rejects.toThrow(RefusedMessageError);
    const b = await started(p);

    // a manifest that is not the one etl.batch recorded: refused on the first attempt, final
    const m = await p.receive(QUEUES.dimensions);
    await p.ctx.dw.db
      .updateTable('etl.batch')
      .set({ manifest_sha256: '0'.repeat(64) })
      .where('run_id', '=', b.runId)
      .where('entity', '=', 'clientes')
      .execute();
    const dims = await p.ctx.dw.db.selectFrom('dw.dim_cliente').selectAll().execute();
    await expect(loadDimensions({ ...p.ctx, delivery: { dequeueCount: 1, maxDequeueCount: 5 } }, m)).rejects.toThrow(
      /manifest checksum mismatch for clientes\/.*: etl.batch says 0{64}, blob has [0-9a-f]{64}/,
    );
    expect(await p.ctx.dw.db.selectFrom('dw.dim_cliente').selectAll().execute()).toEqual(dims);
    expect(await steps(p.ctx.dw.db, b.runId, 'dimensions')).toEqual([]);
    expect((await lease(p.ctx.dw.db)).holder).toBeNull();
    expect(await run(p.ctx.dw.db, b.runId)).toEqual({ status: 'failed', error: expect.stringContaining('given up: no retry of the same batch can succeed') });
    await started(p);
    await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
    await loadFacts(p.ctx, await p.receive(QUEUES.facts));
    await reconciled(p, 'after final failures');
  });

  it('a daily trigger that finds a live run holding the lease retries later the same day', async () => {
    const a = await started(p);
    const today3am = new Date(new Date().toISOString().slice(0, 10) + 'T03:00:00.000Z');
    const outcome = await extractOrRetryLater(p.ctx, today3am, 1, today3am);
    expect(outcome).toMatchObject({ status: 'skipped', heldBy: a.runId });
    const q = p.storage.queue(QUEUES.extractRetry);
    // delayed: not visible yet
    expect((await q.receiveMessages({ numberOfMessages: 1 })).receivedMessageItems).toEqual([]);
    const { approximateMessagesCount } = await q.getProperties();
    expect(approximateMessagesCount).toBe(1);
  });
});

describe('when a postponed daily trigger tries again', () => {
  const first = new Date('2026-11-30T03:00:00.000Z');
  it('a minute after the live run lease would expire, between 1 and 30 minutes away, the same UTC day only', () => {
    expect(extractRetryDelaySeconds(first, new Date('2026-11-30T03:05:00.000Z'), first)).toBe(360);
    expect(extractRetryDelaySeconds(first, null, first)).toBe(60);
    expect(extractRetryDelaySeconds(first, new Date('2026-11-30T02:00:00.000Z'), first)).toBe(60);
    expect(extractRetryDelaySeconds(first, new Date('2026-11-30T09:00:00.000Z'), first)).toBe(1800);
    expect(extractRetryDelaySeconds(first, new Date('2026-11-30T23:59:30.000Z'), new Date('2026-11-30T23:59:00.000Z'))).toBeNull();
  });
});
