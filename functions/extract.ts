// Timer trigger: the daily extract. Schedule from the EXTRACT_SCHEDULE app setting (NCRONTAB,
// UTC; default 03:00 daily). It never runs on startup: a restart must not start a run.
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { runExtract } from '../shared/pipeline/run-extract.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function extractHandler(timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  if (timer.isPastDue) log.warn('timer is past due; extracting now');
  const outcome = await runExtract(await pipelineContext(log));
  log.info(outcome.status === 'started' ? 'extract finished; dimension load queued' : 'run skipped', { ...outcome });
}

export const extractTimer = { schedule: '%EXTRACT_SCHEDULE%', runOnStartup: false, useMonitor: true } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.timer('extract', { ...extractTimer, handler: extractHandler });
