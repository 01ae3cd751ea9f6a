// A backfill run in two steps, so POST /api/backfill answers at once (Azure cuts an HTTP request
// at 230 s, and a backfill window can take longer than that to extract):
//  1. startBackfill (the HTTP function): takes the pipeline lease, records the run as running and
//     queues a backfill-extract message for it. The lease is taken for RUN_LEASE_MINUTES, the same
//     full lease every queue hop of a run starts with (extract -> dimensions -> facts); host.json
//     polls the queues every 2 s at most, so a normal hop takes seconds. If the message is never
//     picked up (lost, or poisoned before the extract could start), nothing renews the lease: it
//     expires and the watchdog (or the next trigger) marks the run failed, as for any dead run.
//  2. extractBackfill (the backfill-extract queue function): extracts the window for that run,
//     then queues the dimension load; from there the chain is the daily run's. It extracts at
//     most once per run: a delivery claims the run (lease.ts claimRun) and goes on only when the
//     run is still running with no extract step recorded; any other delivery (a duplicate, a
//     redelivery after the run finished, failed or was recovered) is acknowledged and does nothing.
//     A failed extract is final, as the timer's is: the run is failed, the lease released and the
//     failure reported once (run-extract.ts); the message's next delivery then finds the run failed.
import { randomBytes } from 'node:crypto';
import type { BackfillRequest } from './backfill.js';
import type { PipelineContext } from './context.js';
import { claimRun, releaseLease, returnClaim } from './lease.js';
import { QUEUES, RefusedMessageError, type BackfillExtractMessage } from './messages.js';
import { abandonRun, errorText, finishRun, readRunState } from './run-audit.js';
import { extractUnderLease, startRunUnderLease, type ExtractOutcome } from './run-extract.js';
import { runFailed } from '../telemetry/run-telemetry.js';

export type BackfillStart = { status: 'started'; runId: string } | { status: 'skipped'; runId: string; heldBy: string | null };

/** Step 1: the lease and the run, then the extract's message. Skipped (the request's 409) when another run holds the lease. */
export async function startBackfill(ctx: PipelineContext, plan: BackfillRequest, now = new Date()): Promise<BackfillStart> {
  const { dw, log } = ctx;
  const started = await startRunUnderLease(ctx, { kind: 'backfill', window: plan.window, entities: plan.entities, requestedBy: 'api', now });
  if (started.status === 'skipped') return started;
  const { run } = started;
  const message: BackfillExtractMessage = {
    runId: run.runId,
    kind: 'backfill',
    window: { from: plan.window.from.toISOString(), to: plan.window.to.toISOString() },
    entities: plan.entities,
    requestedAt: run.startedAt.toISOString(),
  };
  try {
    await ctx.queues.send(QUEUES.backfillExtract, message);
  } catch (e) {
    // nothing would ever extract this run: it fails now and frees the lease (the request answers 500)
    log.error('the backfill extract could not be queued; the run is failed', { runId: run.runId, error: errorText(e) });
    await finishRun(dw.db, run.runId, 'failed', e).catch(() => undefined);
    await releaseLease(dw.db, run.runId).catch(() => undefined);
    await runFailed(ctx, run, { step: 'start', error: e, reason: 'the backfill extract could not be queued; the request may be sent again' });
    throw e;
  }
  log.info('backfill accepted; extract queued', { runId: run.runId, ...message.window, entities: plan.entities });
  return { status: 'started', runId: run.runId };
}

export type BackfillExtractOutcome = { status: 'extracted'; extract: Extract<ExtractOutcome, { status: 'started' }> } | { status: 'ignored'; reason: string };

/**
 * Step 2: the extract of a backfill run that holds the lease, and its dimension load queued.
 * Throws RefusedMessageError (the host moves the message to poison) for a run that does not exist
 * or is not a backfill; returns `ignored` for a delivery that must not extract (see above).
 */
export async function extractBackfill(ctx: PipelineContext, message: BackfillExtractMessage): Promise<BackfillExtractOutcome> {
  const { dw, settings, log } = ctx;
  const { runId } = message;
  const ignore = (reason: string): BackfillExtractOutcome => {
    log.warn('backfill extract message acknowledged without extracting', { runId, reason });
    return { status: 'ignored', reason };
  };
  // why this delivery must not extract, from the run's recorded state (null: it may)
  const notToExtract = (state: NonNullable<Awaited<ReturnType<typeof readRunState>>>) => {
    if (state.status !== 'running') return `the run is already ${state.status}`;
    if (state.steps.length > 0) return 'an earlier delivery already started the extract of this run';
    return null;
  };

  const state = await readRunState(dw.db, runId);
  if (!state || state.kind !== 'backfill') {
    const reason = state ? `the run is a ${state.kind} run, not a backfill` : 'no such run';
    log.error('backfill extract message refused: it will go to the poison queue', { runId, reason });
    throw new RefusedMessageError(runId, reason);
  }
  const before = notToExtract(state);
  if (before) return ignore(before);

  // one delivery at a time: the claim holds the lease while this one extracts
  const holder = `${runId}#${randomBytes(4).toString('hex')}`;
  const claim = await claimRun(dw.db, runId, holder, settings.RUN_LEASE_MINUTES);
  if (!claim.claimed) {
    if (claim.busy) return ignore(`another delivery holds the run (${claim.holder})`);
    const now = await readRunState(dw.db, runId);
    const after = now && notToExtract(now);
    if (after) return ignore(after);
    if (claim.holder === null) {
      // the lease is free and nobody will ever find this run dead: it fails here, once
      const reason = 'the backfill lost the pipeline lease before its extract started';
      await abandonRun(dw.db, runId, reason);
      await runFailed(ctx, { runId, kind: 'backfill', startedAt: new Date(message.requestedAt) }, { step: 'extract', error: new Error(reason), reason });
      return ignore(reason);
    }
    // another run took the lease over: taking it marked this run failed (lease.ts acquireLease)
    return ignore(`the pipeline lease is held by ${claim.holder}`);
  }
  // claimed: a delivery that raced this one may have finished the extract in between
  let after: string | null;
  try {
    const now = await readRunState(dw.db, runId);
    after = now ? notToExtract(now) : 'no such run';
  } catch (e) {
    await returnClaim(dw.db, runId, holder, settings.RUN_LEASE_MINUTES).catch(() => undefined);
    throw e;
  }
  if (after) {
    await returnClaim(dw.db, runId, holder, settings.RUN_LEASE_MINUTES);
    return ignore(after);
  }
  const extract = await extractUnderLease(
    ctx,
    { runId, kind: 'backfill', startedAt: new Date(message.requestedAt) },
    { window: { from: new Date(message.window.from), to: new Date(message.window.to) }, entities: message.entities, holder },
  );
  log.info('backfill extracted; dimension load queued', { runId, rows: extract.rows });
  return { status: 'extracted', extract };
}
