// The storage emulator, or the database server, stopped (and started again) while a run is in the
// middle of its dimension load: the step retries or fails, the pipeline process does not crash,
// and the pipeline converges (the warehouse reconciles with the source). The pipeline is a child process
// (tests/helpers/fault-pipeline-child.ts), paused inside the clientes merge's transaction while
// storage goes away; its databases are on a throwaway PostgreSQL cluster (fault-postgres.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import type { Database } from '../../shared/db/database.js';
import { migrate } from '../../shared/db/migrate.js';
import { openDatabase } from '../../shared/db/open.js';
import type { OltpTables, WarehouseTables } from '../../shared/db/schema/index.js';
import { seedBase } from '../../shared/seed/base.js';
import { fastHostJson, startHostChild, startPipelineChild, stopAllChildren } from '../helpers/fault-child.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../helpers/fault-postgres.js';
import { expectReconciled, reconcile } from '../helpers/reconcile.js';

describe('dependencies stopped mid-run', () => {
  let server: ThrowawayPostgres | undefined;
  let azurite: Azurite | undefined;
  let azuriteDir: string | undefined;
  let oltp: Database<OltpTables> | undefined;
  let dw: Database<WarehouseTables> | undefined;
  let hostJson: ReturnType<typeof fastHostJson> | undefined;
  let env: Record<string, string>;

  beforeEach(async () => {
    server = await startThrowawayPostgres();
    const urls: string[] = [];
    for (const _ of ['oltp', 'dw']) {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      urls.push(url.toString());
    }
    oltp = (await openDatabase({ engine: 'postgres', url: urls[0]! })) as Database<OltpTables>;
    dw = (await openDatabase({ engine: 'postgres', url: urls[1]! })) as Database<WarehouseTables>;
    await migrate(oltp, 'oltp');
    await migrate(dw, 'dw');
    await seedBase(oltp, { scale: 0.05, seed: 9, asOf: new Date(Date.now() - 86_400_000) });
    // persisted, so a restart on the same ports finds the batches and messages again
    azuriteDir = mkdtempSync(join(tmpdir(), 'fault-azurite-'));
    azurite = await startAzurite({ location: azuriteDir });
    hostJson = fastHostJson();
    env = { OLTP_CONNECTION_STRING: urls[0]!, DW_CONNECTION_STRING: urls[1]!, AzureWebJobsStorage: azurite.connectionString, FAULT_HOST_JSON: hostJson.path };
  });

  afterEach(async () => {
    await stopAllChildren();
    await oltp?.close().catch(() => undefined);
    await dw?.close().catch(() => undefined);
    await azurite?.stop();
    server?.destroy();
    hostJson?.remove();
    if (azuriteDir) rmSync(azuriteDir, { recursive: true, force: true });
    server = azurite = azuriteDir = oltp = dw = hostJson = undefined;
  });

  it('the storage emulator stopped mid-run: the step retries (transient), gives up within its bound, storage comes back, the run converges', async () => {
    const child = startPipelineChild(env, 'dimensions');
    await child.paused(90_000);
    const { blobPort, queuePort } = azurite!;
    await azurite!.stop();
    const stoppedAt = Date.now();
    child.resume();
    // the next blob read fails and the step classifies it as transient ...
    await child.printed('"code":"ECONNREFUSED","source":"storage"', 60_000);
    const firstErrorMs = Date.now() - stoppedAt;
    // ... retries with backoff and fails (the run keeps its lease for the message's next attempt).
    // The storage clients' own retries are bounded (shared/storage/storage-options.ts), so a step
    // does not hang a minute per call: measured 3.8 s with the bounded blob client, 66 s with the
    // SDK defaults. Bound: 120 s until shared/storage/batch-store.ts builds its client with
    // BLOB_CLIENT_OPTIONS, then 60 s.
    await child.printed('dimension load failed', 120_000);
    const stepFailedMs = Date.now() - stoppedAt;
    expect((await reconcile(oltp!.db, dw!.db)).watermarkViolations).toEqual([]);
    // storage comes back on the same ports with the same data
    azurite = await startAzurite({ location: azuriteDir, blobPort, queuePort });
    const restartedAt = Date.now();
    // the pipeline command may settle the run itself or stop at the failed attempt; a host that
    // keeps polling (as on Azure) then takes the redelivered message: the same run converges
    const exit = await child.exited(120_000);
    expect(exit.signal).toBeNull();
    const run = await dw!.db.selectFrom('etl.run').select(['run_id', 'status']).executeTakeFirstOrThrow();
    if (run.status !== 'succeeded') {
      const host = startHostChild({ ...env, EXTRACT_SCHEDULE: '0 0 0 1 1 *' });
      for (let at = Date.now(); Date.now() - at < 120_000; await new Promise((r) => setTimeout(r, 500))) {
        const now = await dw!.db.selectFrom('etl.run').select('status').where('run_id', '=', run.run_id).executeTakeFirstOrThrow();
        if (now.status === 'succeeded') break;
      }
      await host.kill9();
    }
    const convergedMs = Date.now() - restartedAt;
    console.log(
      `storage stopped: first transient error after ${firstErrorMs} ms, the step failed after ${stepFailedMs} ms; ` +
        `once storage was back the run converged in ${convergedMs} ms (by ${run.status === 'succeeded' ? 'the pipeline command' : 'a polling host'})`,
    );
    expect(await dw!.db.selectFrom('etl.run').select(['run_id', 'status']).execute()).toEqual([{ run_id: run.run_id, status: 'succeeded' }]);
    const r = await reconcile(oltp!.db, dw!.db);
    expectReconciled(r, 'after the storage outage');
    expect(r.watermarkViolations).toEqual([]);
    expect((await dw!.db.selectFrom('etl.lease').select('holder').executeTakeFirstOrThrow()).holder).toBeNull();
  });

  it('the database server stopped and restarted mid-run: no process crash, nothing half-loaded, the pipeline converges', async () => {
    const child = startPipelineChild(env, 'dimensions');
    await child.paused(90_000);
    // a fast shutdown terminates the child's open transaction (57P01) and its idle connections
    server!.stop();
    server!.start();
    child.resume();
    const exit = await child.exited(120_000);
    expect(child.output()).not.toMatch(/Unhandled 'error' event/);
    expect(exit.signal).toBeNull();
    expect((await reconcile(oltp!.db, dw!.db)).watermarkViolations).toEqual([]);
    // whether the run finished (a transient retry) or failed, the next run converges
    await dw!.db
      .updateTable('etl.lease')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('holder', 'is not', null)
      .execute();
    const fresh = startPipelineChild(env);
    expect(await fresh.exited(120_000)).toEqual({ code: 0, signal: null });
    expectReconciled(await reconcile(oltp!.db, dw!.db), 'after the database restart and a fresh run');
  });
});
