// npm start -- [--run-now] [--port 7071] [--scale N]
// The local Functions host: Azurite (development storage), the embedded databases (migrated; the
// OLTP seeded when empty), the extract timer on its schedule (EXTRACT_SCHEDULE), the queue
// triggers polled with host.json's semantics, and the HTTP routes on http://127.0.0.1:7071/api.
// The extract fires once at start when the warehouse has never been loaded (a fresh clone: the
// dashboards at /api/dashboard then show the seeded data within seconds), or with --run-now.
// Ctrl-C stops it.
import { parseArgs } from 'node:util';
import { loadSettings, SettingsError } from '../shared/config/settings.js';
import { getDatabase } from '../shared/db/connections.js';
import { shutdownApp } from '../functions/app-lifecycle.js';
import { firstRows } from '../shared/db/portable-sql.js';
import { startLocalHost } from './host.js';
import { seedIfEmpty, startLocalStorage } from './local-env.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'run-now': { type: 'boolean', default: false }, port: { type: 'string', default: '7071' }, scale: { type: 'string', default: '1' } },
    strict: true,
  });
  const port = Number(values.port);
  const scale = Number(values.scale);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got '${values.port}'`);
  if (!(scale > 0 && scale <= 100)) throw new Error(`--scale must be > 0 and <= 100, got '${values.scale}'`);
  const settings = loadSettings();
  // the timer's %EXTRACT_SCHEDULE% resolves from the environment, as on Azure
  process.env.EXTRACT_SCHEDULE = settings.EXTRACT_SCHEDULE;
  process.env.WATCHDOG_SCHEDULE = settings.WATCHDOG_SCHEDULE;
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const storage = await startLocalStorage(log);
  const [, dw] = await Promise.all([getDatabase('oltp'), getDatabase('dw')]);
  await seedIfEmpty(scale, log);
  const host = await startLocalHost({ storageConnectionString: process.env.AzureWebJobsStorage!, httpPort: port, schedule: true, log });
  log(`Functions host ready: ${host.url}/api/health; extract schedule '${settings.EXTRACT_SCHEDULE}', watchdog '${settings.WATCHDOG_SCHEDULE}' (UTC)`);
  log(`Dashboards: ${host.url}/api/dashboard (vendas, metas, descontos)`);
  const loaded = await firstRows(dw.db, dw.db.selectFrom('etl.run').select('run_id').where('status', '=', 'succeeded'), 1).executeTakeFirst();
  if (!loaded) log('the warehouse has never been loaded: running the first daily load now');
  if (values['run-now'] || !loaded)
    await host.fireTimer('extract').catch((e: unknown) => log(`[extract] failed: ${e instanceof Error ? e.message : String(e)}`));
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  log('stopping');
  await host.stop();
  // what the real host's appTerminate hook does (functions/app-lifecycle.ts): telemetry flushed, pools closed
  await shutdownApp();
  await storage.stop();
}

main().catch((e: unknown) => {
  console.error(e instanceof SettingsError || e instanceof Error ? e.message : e);
  process.exit(1);
});
