// The daily extract as both the timer and its postponed retries run it: a live run holding the
// pipeline lease postpones the trigger with a delayed message on extract-retry (a queue the real
// host triggers on, and so does the local host), until the end of the first trigger's UTC day.
import type { PipelineContext } from './context.js';
import { readLease } from './lease.js';
import { extractRetryDelaySeconds, QUEUES, type ExtractRetryMessage } from './messages.js';
import { runExtract, type ExtractOutcome } from './run-extract.js';

/**
 * Runs the daily extract; when a live run holds the lease, queues a retry later the same UTC day.
 * `now` is the clock the retry delay is computed from (tests fix it).
 */
export async function extractOrRetryLater(ctx: PipelineContext, firstTriggerAt: Date, attempt: number, now = new Date()): Promise<ExtractOutcome> {
  const outcome = await runExtract(ctx);
  if (outcome.status === 'started') {
    ctx.log.info('extract finished; dimension load queued', { ...outcome });
    return outcome;
  }
  const lease = await readLease(ctx.dw.db);
  const delaySeconds = extractRetryDelaySeconds(firstTriggerAt, lease.expiresAt, now);
  if (delaySeconds === null) {
    ctx.log.warn('run skipped: a live run holds the lease and the day is over; the next scheduled trigger runs', { ...outcome, attempt });
    return outcome;
  }
  const retry: ExtractRetryMessage = { firstTriggerAt: firstTriggerAt.toISOString(), attempt: attempt + 1 };
  await ctx.queues.send(QUEUES.extractRetry, retry, { delaySeconds });
  ctx.log.warn('run skipped: a live run holds the lease; retrying later today', { ...outcome, retryInSeconds: delaySeconds, nextAttempt: retry.attempt });
  return outcome;
}
