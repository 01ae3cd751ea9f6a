// The pipeline process of the telemetry test (tests/integration/telemetry-ingestion.test.ts), run
// with `node --import tsx` so NODE_EXTRA_CA_CERTS (the fake ingestion endpoint's self-signed
// certificate) is read at start, as Node requires. It does what `npm run pipeline` does: the local
// Functions host fires the extract timer and polls the queues with host.json's retry semantics.
// TELEMETRY_FAIL_FACTS=always makes every delivery of the fact load fail (an error no in-process
// retry repeats), so the message is retried by the queue until it goes to load-facts-poison.
// TELEMETRY_ONLY_FIRE=1 only fires the extract timer (a run that cannot start) and exits.
// Prints `TELEMETRY-REPORT <run report as JSON>` and `TELEMETRY-MS <wall time>` last.
import { startLocalHost } from '../../dev/host.js';
import { closeAllDatabases, getWarehouseDatabase } from '../../shared/db/connections.js';
import { factFaults } from '../../shared/pipeline/facts/steps.js';
import { readRunReport } from '../../shared/pipeline/run-report.js';

const failFacts = process.env.TELEMETRY_FAIL_FACTS === 'always';
if (failFacts)
  factFaults.afterSales = async () => {
    throw new Error('injected: the fact load fails on every delivery');
  };

const started = performance.now();
let code = 1;
let poisoned = false;
const host = await startLocalHost({
  storageConnectionString: process.env.AzureWebJobsStorage!,
  hostJsonPath: process.env.TELEMETRY_HOST_JSON,
  log: (line) => {
    if (line.includes('moved to load-facts-poison')) poisoned = true;
    console.log(line);
  },
});
if (process.env.TELEMETRY_ONLY_FIRE === '1') {
  // the run cannot start (its warehouse is unreachable): fire the timer as the schedule would, and stop
  await host.fireTimer('extract').catch((e: unknown) => console.log(`TELEMETRY-FIRE-FAILED ${e instanceof Error ? e.message : String(e)}`));
  await host.stop();
  console.log(`TELEMETRY-MS ${Math.round(performance.now() - started)}`);
  process.exit(0);
}
try {
  const dw = await getWarehouseDatabase();
  await host.fireTimer('extract');
  const run = await dw.db.selectFrom('etl.run').select('run_id').orderBy('run_id', 'desc').executeTakeFirstOrThrow();
  // a run that fails on purpose is settled once its message is in poison; a normal one once it succeeds
  for (let i = 0; i < 400; i++) {
    const handled = await host.pollOnce();
    const report = (await readRunReport(dw.db, run.run_id))!;
    if (failFacts ? poisoned : report.status !== 'running' && handled === 0) break;
    if (handled === 0) await new Promise((r) => setTimeout(r, 200));
  }
  const report = (await readRunReport(dw.db, run.run_id))!;
  console.log(`TELEMETRY-REPORT ${JSON.stringify(report)}`);
  code = report.status === 'succeeded' ? 0 : 1;
} catch (e) {
  console.log(`TELEMETRY-ERROR ${e instanceof Error ? e.stack : String(e)}`);
} finally {
  await host.stop();
  await closeAllDatabases().catch(() => undefined);
}
console.log(`TELEMETRY-MS ${Math.round(performance.now() - started)}`);
process.exit(code);
