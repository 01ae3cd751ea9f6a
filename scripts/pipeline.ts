// npm run pipeline -- [--scale N] [--verbose]
// Runs one daily load now, through the same queue chain the Functions host runs (timer handler,
// then the queue-triggered handlers via the local host), waits for it, prints the run report and
// exits non-zero if the run failed. Starts Azurite itself for the development storage and seeds
// an empty OLTP first (a fresh clone).
import { startLocalHost } from '../dev/host.js';
import { startLocalStorage, seedIfEmpty } from '../dev/local-env.js';
import { closeAllDatabases, getWarehouseDatabase } from '../shared/db/connections.js';
import { formatRunReport, readRunReport, type RunReport } from '../shared/pipeline/run-report.js';
import { parseCliArgs, runCli, scaleFlag, UsageError } from './cli.js';

/** Fires the extract timer, drains the queues, and returns the report of the run it started. */
export async function runPipelineOnce(log: (line: string) => void, opts: { hostJsonPath?: string; pollIdleMs?: number } = {}): Promise<RunReport> {
  const host = await startLocalHost({ storageConnectionString: process.env.AzureWebJobsStorage!, hostJsonPath: opts.hostJsonPath, log });
  try {
    const dw = await getWarehouseDatabase();
    const before = await dw.db.selectFrom('etl.run').select('run_id').orderBy('run_id', 'desc').executeTakeFirst();
    await host.fireTimer('extract');
    const run = await dw.db.selectFrom('etl.run').select('run_id').orderBy('run_id', 'desc').executeTakeFirstOrThrow();
    if (run.run_id === before?.run_id) throw new Error('the extract did not start a run');
    // the queue-triggered steps, with host.json's retry semantics; stop once the run is settled
    for (;;) {
      const handled = await host.pollOnce();
      const report = (await readRunReport(dw.db, run.run_id))!;
      if (report.status !== 'running' && handled === 0) return report;
      if (handled === 0) await new Promise((r) => setTimeout(r, opts.pollIdleMs ?? 500));
    }
  } finally {
    await host.stop();
  }
}

/**
 * Runs this run found dead and took over (their lease expired without a heartbeat): each is marked
 * failed with the reason, and this run re-did their work.
 */
export async function runsRecoveredBy(runId: string): Promise<{ runId: string; error: string }[]> {
  const dw = await getWarehouseDatabase();
  const rows = await dw.db
    .selectFrom('etl.run')
    .select(['run_id', 'error'])
    .where('status', '=', 'failed')
    .where('error', 'like', `%recovered by run ${runId}`)
    .execute();
  return rows.map((r) => ({ runId: r.run_id, error: r.error ?? '' }));
}

/** Host log lines: warnings and errors always, the structured info lines with --verbose. */
export const hostLog = (verbose: boolean) => (line: string) => {
  if (verbose || !/\] information: /.test(line)) console.log(line);
};

const isMain = process.argv[1]?.endsWith('pipeline.ts');
if (isMain)
  runCli(async () => {
    const { values, positionals } = parseCliArgs({ scale: { type: 'string' }, verbose: { type: 'boolean' } });
    if (positionals.length) throw new UsageError('usage: npm run pipeline -- [--scale N] [--verbose]  (scale of the seed for an empty OLTP, default 1)');
    const scale = scaleFlag(values.scale);
    const log = (line: string) => console.log(line);
    const storage = await startLocalStorage(log);
    try {
      await seedIfEmpty(scale, log);
      const report = await runPipelineOnce(hostLog(values.verbose ?? false));
      console.log('\n' + formatRunReport(report));
      // a dead run found on the way is reported; the exit code says whether this run did the work
      for (const dead of await runsRecoveredBy(report.runId))
        console.log(`recovered: run ${dead.runId} had stopped (${dead.error}); it is marked failed and this run loaded its data`);
      if (report.status === 'skipped') console.log('another run is live and holds the pipeline lease; nothing was loaded (the timer retries later today)');
      return report.status === 'succeeded' ? 0 : 1;
    } finally {
      await closeAllDatabases();
      await storage.stop();
    }
  });
