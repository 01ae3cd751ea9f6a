// A run killed -9 during its extract leaves no queue message that would come back: the watchdog
// timer is what recovers it (issue 8: recovered within minutes, not by the next day's timer).
// The pipeline process is killed inside its extract with RUN_LEASE_MINUTES=1; the local Functions
// host then runs as `npm start` does (a child process, timers on their schedules) with
// WATCHDOG_SCHEDULE every 5 s and an extract timer that does not fire during the test. Nobody
// touches the lease or triggers anything: the watchdog marks the dead run failed with the reason,
// its recovery run goes through the queues, and the warehouse reconciles with the source.
// Stated bound: the lease period + one watchdog interval + the time one run takes (30 s here).
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import type { Database } from '../../shared/db/database.js';
import type { OltpTables, WarehouseTables } from '../../shared/db/schema/index.js';
import { runOfHolder } from '../../shared/pipeline/lease.js';
import { seedBase } from '../../shared/seed/base.js';
import { testEngines, type FreshDatabase } from '../helpers/engines.js';
import { fastHostJson, startHostChild, startPipelineChild, stopAllChildren } from '../helpers/fault-child.js';
import { expectReconciled, reconcile } from '../helpers/reconcile.js';

const postgres = testEngines().find((e) => e.name === 'postgres');
const LEASE_MS = 60_000;
const WATCHDOG_EVERY_MS = 5_000;
const RUN_MS = 30_000;

/** An NCRONTAB that fires once, about half a year from now: the daily timer stays out of the test. */
function farAwaySchedule(): string {
  const d = new Date(Date.now() + 180 * 86_400_000);
  return `0 0 0 ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
}

(postgres ? describe : describe.skip)('the watchdog recovers a run killed during its extract (PostgreSQL server, RUN_LEASE_MINUTES=1)', () => {
  let oltp: FreshDatabase | undefined;
  let dw: FreshDatabase | undefined;
  let azurite: Azurite | undefined;
  let hostJson: ReturnType<typeof fastHostJson> | undefined;

  afterEach(async () => {
    await stopAllChildren();
    await azurite?.stop();
    await oltp?.close();
    await dw?.close();
    hostJson?.remove();
    oltp = dw = azurite = hostJson = undefined;
  });

  it('marks the dead run failed with the reason and the recovery run converges, within the lease period plus one watchdog interval', async () => {
    oltp = await postgres!.fresh('oltp');
    dw = await postgres!.fresh('dw');
    azurite = await startAzurite({ inMemory: true });
    hostJson = fastHostJson();
    await seedBase(oltp.database as Database<OltpTables>, { scale: 0.03, seed: 23, asOf: new Date(Date.now() - 86_400_000) });
    const url = (f: FreshDatabase) => (f.target.engine === 'postgres' ? f.target.url : '');
    const env = {
      OLTP_CONNECTION_STRING: url(oltp),
      DW_CONNECTION_STRING: url(dw),
      AzureWebJobsStorage: azurite.connectionString,
      FAULT_HOST_JSON: hostJson.path,
      RUN_LEASE_MINUTES: '1',
      EXTRACT_SCHEDULE: farAwaySchedule(),
      WATCHDOG_SCHEDULE: `*/${WATCHDOG_EVERY_MS / 1000} * * * * *`,
    };
    const warehouse = (dw.database as Database<WarehouseTables>).db;

    const killed = startPipelineChild(env, 'extract');
    await killed.paused(90_000);
    const held = await warehouse.selectFrom('etl.lease').select(['holder', 'expires_at']).executeTakeFirstOrThrow();
    await killed.kill9();
    const killedAt = Date.now();
    const dead = runOfHolder(held.holder!);
    // the extract had written two batches: the dead run left rows behind, and no message
    expect(await warehouse.selectFrom('etl.batch').select('entity').where('run_id', '=', dead).execute()).toHaveLength(2);

    const host = startHostChild(env);
    await host.printed('FAULT-HOST-READY', 60_000);
    const deadline = killedAt + LEASE_MS + WATCHDOG_EVERY_MS + RUN_MS;
    let recovery: { run_id: string; status: string; finished_at: Date | null } | undefined;
    while (Date.now() < deadline + 30_000) {
      recovery = await warehouse.selectFrom('etl.run').select(['run_id', 'status', 'finished_at']).where('requested_by', '=', 'watchdog').executeTakeFirst();
      if (recovery && recovery.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (!recovery || recovery.status !== 'succeeded') throw new Error(`no recovery run succeeded: ${JSON.stringify(recovery)}\n${host.output().slice(-3000)}`);
    const recoveredMs = new Date(recovery.finished_at!).getTime() - killedAt;
    const leaseLeftMs = new Date(held.expires_at!).getTime() - killedAt;
    console.log(`watchdog: the run killed during its extract was recovered ${recoveredMs} ms after the kill (its lease had ${leaseLeftMs} ms left)`);
    expect(recoveredMs).toBeLessThanOrEqual(LEASE_MS + WATCHDOG_EVERY_MS + RUN_MS);

    expect(await warehouse.selectFrom('etl.run').select(['run_id', 'status', 'error']).orderBy('run_id').execute()).toEqual([
      {
        run_id: dead,
        status: 'failed',
        error: expect.stringMatching(
          new RegExp(`^run presumed dead: its pipeline lease expired at .* without a heartbeat; recovered by run ${recovery.run_id}$`),
        ),
      },
      { run_id: recovery.run_id, status: 'succeeded', error: null },
    ]);
    // the watchdog kept ticking after the recovery and started nothing more
    await new Promise((r) => setTimeout(r, 2 * WATCHDOG_EVERY_MS));
    expect(await warehouse.selectFrom('etl.run').select('run_id').execute()).toHaveLength(2);
    await host.kill9();
    const after = await reconcile(oltp.database.db as never, warehouse);
    expectReconciled(after, 'after a run killed in its extract and the watchdog');
    expect(after.due.itens_pedido).toBeGreaterThan(300);
    expect((await warehouse.selectFrom('etl.lease').select('holder').executeTakeFirstOrThrow()).holder).toBeNull();
  }, 300_000);
});
