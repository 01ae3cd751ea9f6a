// Timer trigger: the daily extract. Schedule from the EXTRACT_SCHEDULE app setting (NCRONTAB,
// UTC; default 03:00 daily). It never runs on startup: a restart must not start a run.
// A run found dead (its lease expired without a heartbeat) is marked failed and this trigger
// goes on (lease.ts). When a live run holds the lease, the trigger is postponed: a delayed
// message on extract-retry (functions/extract-retry.ts) tries again once that run's lease
// would have expired, until the end of the UTC day.
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { extractOrRetryLater } from '../shared/pipeline/extract-or-retry.js';
import { startingRun } from '../shared/pipeline/handler-telemetry.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function extractHandler(timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  if (timer.isPastDue) log.warn('timer is past due; extracting now');
  await startingRun(
    log,
    'daily',
    () => pipelineContext(log),
    (ctx) => extractOrRetryLater(ctx, new Date(), 1),
  );
}

export const extractTimer = { schedule: '%EXTRACT_SCHEDULE%', runOnStartup: false, useMonitor: true } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.timer('extract', { ...extractTimer, handler: extractHandler });
