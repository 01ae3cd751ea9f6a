// The app's own lifecycle, not a function: when the host stops this worker gracefully (scale-in,
// a deployment, a restart), the appTerminate hook flushes the telemetry still buffered (a run's
// last events) and closes the database pools (connections to Azure SQL / PostgreSQL, an embedded
// PGlite instance), instead of leaving them to be cut. A forced stop runs no hook; nothing here is
// needed for correctness (a run that dies is recovered by the watchdog), it saves telemetry and
// connections. The host's "main" glob (dist/functions/*.js) loads this file like the function
// files; it registers the hook only under the real host (runtime/functions-host.ts), and the local
// host (dev/start.ts) calls shutdownApp itself when it stops.
import { app } from '@azure/functions';
import { closeAllDatabases } from '../shared/db/connections.js';
import { flushTelemetry } from '../shared/telemetry/app-insights.js';
import { consoleLogger, type Logger } from '../shared/telemetry/logger.js';
import { underFunctionsHost } from './runtime/functions-host.js';

/**
 * Flushes telemetry, then closes every open database (each step's failure is logged, never
 * thrown: a shutdown must finish). Safe to call when nothing was opened, and more than once; a
 * database asked for afterwards is opened afresh.
 */
export async function shutdownApp(log: Pick<Logger, 'warn'> = consoleLogger({ hook: 'appTerminate' })): Promise<void> {
  // telemetry first: the events of a run that just ended must not wait behind a slow pool close
  await flushTelemetry().catch((e: unknown) => log.warn('telemetry could not be flushed at shutdown', { error: e instanceof Error ? e.message : String(e) }));
  await closeAllDatabases().catch((e: unknown) =>
    log.warn('the databases could not all be closed at shutdown', { error: e instanceof Error ? e.message : String(e) }),
  );
}

// registered only under the real host (see runtime/functions-host.ts); elsewhere shutdownApp is called directly
if (underFunctionsHost) app.hook.appTerminate(() => shutdownApp());
