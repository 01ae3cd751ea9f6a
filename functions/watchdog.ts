// Timer trigger: the watchdog. Schedule from the WATCHDOG_SCHEDULE app setting (NCRONTAB, UTC;
// default every 10 minutes). A run that dies during its extract leaves no queue message behind,
// so this is what notices it: when the pipeline lease expired without a heartbeat, the dead run is
// marked failed with the reason and a recovery run starts from the watermarks
// (shared/pipeline/watchdog.ts). Otherwise it reads one row and does nothing.
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getWarehouseDatabase } from '../shared/db/connections.js';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { findDeadRun, recoverDeadRun } from '../shared/pipeline/watchdog.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { flushTelemetry } from '../shared/telemetry/app-insights.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function watchdogHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  // the cheap check first: most ticks find nothing dead and need neither the source nor storage
  if (!(await findDeadRun((await getWarehouseDatabase()).db))) return;
  try {
    await recoverDeadRun(await pipelineContext(invocationLogger(context)));
  } finally {
    await flushTelemetry();
  }
}

export const watchdogTimer = { schedule: '%WATCHDOG_SCHEDULE%', runOnStartup: false, useMonitor: true } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.timer('watchdog', { ...watchdogTimer, handler: watchdogHandler });
