// What every load step of a run does first and last. First, before writing anything: the message
// must name a run that exists, has finished its extract, holds the pipeline lease, and whose
// recorded batches (etl.batch) are the ones the message lists — anything else is refused
// (RefusedMessageError: lease and etl.run untouched; the host moves it to poison). A duplicate of
// a run that already succeeded is acknowledged and does nothing. Then the delivery claims the run
// (a second delivery of the same message waits for the first), starts the lease heartbeat, marks
// the run running again and reads the manifests, each verified against the sha256 the extract
// recorded. Last: the heartbeat stops and the claim goes back to the run — or, when the failure
// is final (the message's last attempt, or an error no retry can fix), the lease is released and
// the run stays failed with the reason, so the next trigger can start at once.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Transaction } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import { QualityGateError } from '../quality/gate.js';
import type { Manifest, ManifestPart } from '../storage/batch-manifest.js';
import { BatchIntegrityError } from '../storage/batch-store.js';
import type { PipelineContext } from './context.js';
import { claimRun, guardLease, LeaseLostError, releaseLease, returnClaim, startHeartbeat, type Heartbeat } from './lease.js';
import { RefusedMessageError, type LoadMessage } from './messages.js';
import { errorText, readRunState, resumeRun, type Step } from './run-audit.js';
import { RejectThresholdError } from './staging.js';

export interface OpenedStep {
  /** the claim holding the lease while this delivery works */
  holder: string;
  /** the run's manifests, each verified against the sha256 etl.batch recorded (BatchIntegrityError otherwise) */
  readManifests(): Promise<Map<string, Manifest>>;
  /** entities whose step already succeeded in this run (an earlier delivery): not loaded again */
  done: ReadonlySet<string>;
  heartbeat: Heartbeat;
  /** inside a load's transaction, before its commit: the lease is still this delivery's */
  guard(trx: Transaction<WarehouseTables>): Promise<void>;
  /** stops the heartbeat; gives the claim back to the run, or releases the lease when `final` */
  close(final: boolean): Promise<void>;
}

/** The parts of `entities` this delivery still has to load (those an earlier delivery finished are skipped), in order. */
export function partsToLoad(opened: OpenedStep, manifests: ReadonlyMap<string, Manifest>, entities: readonly string[]): ManifestPart[] {
  return entities.flatMap((entity) => (opened.done.has(entity) ? [] : (manifests.get(entity)?.parts ?? [])));
}

/** The reason a failure is final for the run (the lease is released), or null when the queue will retry it. */
export function finalFailure(ctx: PipelineContext, error: unknown): string | null {
  if (!ctx.delivery) return null; // called directly (tests, scripts): the caller retries
  if (error instanceof LeaseLostError) return null; // the lease is someone else's: nothing to release
  if (error instanceof BatchIntegrityError || error instanceof RejectThresholdError || error instanceof QualityGateError)
    return 'no retry of the same batch can succeed';
  const { dequeueCount, maxDequeueCount } = ctx.delivery;
  if (dequeueCount >= maxDequeueCount) return `last attempt (${dequeueCount} of ${maxDequeueCount}): the message goes to poison`;
  return null;
}

/** Why a message is refused, or null when it may be honoured (before the run's lease is looked at). */
function refusal(state: Awaited<ReturnType<typeof readRunState>>, message: LoadMessage): string | null {
  if (!state) return 'no such run';
  if (state.kind !== message.kind) return `the run is a ${state.kind} run, the message says ${message.kind}`;
  if (state.status !== 'running' && state.status !== 'failed') return `the run is ${state.status}`;
  const extract = state.steps.filter((s) => s.step === 'extract');
  if (extract.length === 0 || extract.some((s) => s.status !== 'succeeded')) return 'the run has not finished its extract';
  const seen = new Set<string>();
  for (const b of message.batches) {
    if (seen.has(b.entity)) return `entity ${b.entity} listed twice`;
    seen.add(b.entity);
    const recorded = state.batches.find((r) => r.entity === b.entity);
    if (!recorded || recorded.manifest_path !== b.manifestPath) return `batch ${b.manifestPath} (${b.entity}) is not a batch the run extracted`;
  }
  return null;
}

/**
 * Opens a load step for a message: null when the run already succeeded (a duplicate delivery:
 * nothing to do). Throws RefusedMessageError before writing anything when the message is not
 * the active run's.
 */
export async function openLoadStep(ctx: PipelineContext, message: LoadMessage, step: Exclude<Step, 'extract'>): Promise<OpenedStep | null> {
  const { dw, store, settings, log } = ctx;
  const { runId } = message;
  const ttl = settings.RUN_LEASE_MINUTES;
  const refuse = (reason: string) => {
    log.error('load message refused: it will go to the poison queue', { runId, step, reason, dequeueCount: ctx.delivery?.dequeueCount });
    return new RefusedMessageError(runId, reason);
  };
  const duplicate = () => {
    log.warn('duplicate delivery of a run that already succeeded; nothing to do', { runId, step });
    return null;
  };

  const state = await readRunState(dw.db, runId);
  if (state?.status === 'succeeded') return duplicate();
  const reason = refusal(state, message);
  if (reason) throw refuse(reason);

  // claim the run: a second delivery of the same message waits here until the first is done
  const holder = `${runId}#${randomBytes(4).toString('hex')}`;
  const waitMs = ctx.lease?.claimWaitMs ?? ttl * 60_000 + 30_000;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const claim = await claimRun(dw.db, runId, holder, ttl);
    if (claim.claimed) break;
    if (!claim.busy) {
      // the run finished meanwhile (a concurrent delivery did the work), or lost its lease
      const now = await readRunState(dw.db, runId);
      if (now?.status === 'succeeded') return duplicate();
      throw refuse(`the run does not hold the pipeline lease (held by ${claim.holder ?? 'nobody'})`);
    }
    if (Date.now() >= deadline) throw new Error(`run ${runId} is still claimed by ${claim.holder} after ${waitMs} ms; the queue will retry`);
    await sleep(ctx.lease?.claimPollMs ?? 1000);
  }

  const heartbeat = startHeartbeat(dw.db, holder, ttl, log, ctx.lease?.heartbeatMs);
  const close = async (final: boolean) => {
    await heartbeat.stop();
    if (final) await releaseLease(dw.db, holder);
    else await returnClaim(dw.db, runId, holder, ttl);
  };
  try {
    // what an earlier delivery already finished (read again: it may have finished while we waited)
    const claimed = (await readRunState(dw.db, runId))!;
    const done = new Set(claimed.steps.filter((s) => s.step === step && s.status === 'succeeded').map((s) => s.entity));
    await resumeRun(dw.db, runId);
    // the manifests download at once (read-only, each verified), and keep the message's order
    const readManifests = async () => {
      const read = await Promise.all(
        message.batches.map(async (b) => {
          const recorded = claimed.batches.find((r) => r.entity === b.entity)!;
          const manifest = await store.readManifest(b.manifestPath, recorded.manifest_sha256);
          if (manifest.runId !== runId || manifest.entity !== b.entity) {
            throw new BatchIntegrityError(
              `manifest ${b.manifestPath} belongs to run ${manifest.runId}/${manifest.entity}, not ${runId}/${b.entity}`,
              b.manifestPath,
            );
          }
          return [b.entity, manifest] as const;
        }),
      );
      return new Map<string, Manifest>(read);
    };
    return { holder, done, heartbeat, readManifests, guard: (trx) => guardLease(trx, holder, ttl), close };
  } catch (e) {
    await close(false).catch((err: unknown) => log.warn('could not give the run claim back', { runId, error: errorText(err) }));
    throw e;
  }
}
