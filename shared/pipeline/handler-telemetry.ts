// What every trigger handler does around its work for telemetry: flush before returning (the
// Functions host may freeze the process right after), report a queue message's failed last
// delivery (it goes to <queue>-poison), and give a run that could not even start (its database
// or storage unreachable) a run id and its final failure, so the alert still fires.
import { loadSettings } from '../config/settings.js';
import { flushTelemetry, telemetrySink } from '../telemetry/app-insights.js';
import type { Logger } from '../telemetry/logger.js';
import { errorOf, messagePoisoned, runFailed } from '../telemetry/run-telemetry.js';
import { deliveryOf } from './messages.js';
import { newRunId, type RunKind } from './run-audit.js';
import { processTelemetry } from './runtime.js';

// what a message says about its run, if it says anything readable (it may be malformed)
const field = (message: unknown, name: 'runId' | 'kind'): string | undefined => {
  const value = (message as Record<string, unknown> | null)?.[name];
  return typeof value === 'string' ? value.slice(0, 100) : undefined;
};

/** A queue-triggered handler's work: a failure on the message's last delivery is reported as poisoned. */
export async function queueDelivery(log: Logger, queue: string, message: unknown, dequeueCount: unknown, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    const delivery = deliveryOf(dequeueCount);
    if (delivery.dequeueCount >= delivery.maxDequeueCount) {
      log.error(`the message failed its last delivery (${delivery.dequeueCount} of ${delivery.maxDequeueCount}): it goes to ${queue}-poison`, {
        runId: field(message, 'runId'),
      });
      const run = { runId: field(message, 'runId'), kind: field(message, 'kind') };
      messagePoisoned(await telemetrySink(log), { queue, ...run, error: e, attempt: delivery.dequeueCount });
    }
    throw e;
  } finally {
    await flushTelemetry();
  }
}

/**
 * A handler that starts a run (the extract timer, its postponed retry, a backfill, the watchdog):
 * `open` builds the pipeline context; when that fails the run could not start, and it is
 * reported as a failed run before the error goes back to the host.
 */
export async function startingRun<C, T>(log: Logger, kind: RunKind, open: () => Promise<C>, work: (ctx: C) => Promise<T>): Promise<T> {
  try {
    let ctx: C;
    try {
      ctx = await open();
    } catch (e) {
      await runCouldNotStart(log, kind, e);
      throw e;
    }
    return await work(ctx);
  } finally {
    await flushTelemetry();
  }
}

async function runCouldNotStart(log: Logger, kind: RunKind, error: unknown): Promise<void> {
  const runId = newRunId();
  log.error('the run could not start: its settings, databases or storage are not ready (see error)', { runId, error: errorOf(error).error });
  let url = '';
  try {
    url = loadSettings().ALERT_TEAMS_WEBHOOK_URL;
  } catch {
    // the settings themselves may be what is wrong: the alert still goes to telemetry and the log
  }
  await runFailed(
    { log, telemetry: await processTelemetry(log, url) },
    { runId, kind, startedAt: new Date() },
    { step: 'start', error, reason: 'the run could not start' },
  );
}
