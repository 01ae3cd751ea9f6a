// Recovery without a person, measured on the clock (issue 8, item 2): the pipeline process is
// killed -9 inside the dimension load with RUN_LEASE_MINUTES=1 (its heartbeat renews the lease every
// 20 s). Nobody touches the lease: the pipeline command is triggered again every 10 s, and the first
// trigger after the dead run's lease expired marks it failed with the reason, runs and succeeds
// (exit 0). Stated bound: lease period + one trigger interval (+ the
// time one run takes). PostgreSQL server, so this process can read the databases the children use.
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import type { Database } from '../../shared/db/database.js';
import type { OltpTables, WarehouseTables } from '../../shared/db/schema/index.js';
import { runOfHolder } from '../../shared/pipeline/lease.js';
import { seedBase } from '../../shared/seed/base.js';
import { testEngines, type FreshDatabase } from '../helpers/engines.js';
import { fastHostJson, startPipelineChild, stopAllChildren } from '../helpers/fault-child.js';
import { expectReconciled, reconcile } from '../helpers/reconcile.js';

const postgres = testEngines().find((e) => e.name === 'postgres');
const LEASE_MS = 60_000;
const TRIGGER_EVERY_MS = 10_000;

(postgres ? describe : describe.skip)('a killed run recovered by the next trigger (PostgreSQL server, RUN_LEASE_MINUTES=1)', () => {
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

  it('marks the dead run failed with the reason and finishes the work within the lease period plus one trigger interval', async () => {
    oltp = await postgres!.fresh('oltp');
    dw = await postgres!.fresh('dw');
    azurite = await startAzurite({ inMemory: true });
    hostJson = fastHostJson();
    await seedBase(oltp.database as Database<OltpTables>, { scale: 0.03, seed: 5, asOf: new Date(Date.now() - 86_400_000) });
    const url = (f: FreshDatabase) => (f.target.engine === 'postgres' ? f.target.url : '');
    const env = {
      OLTP_CONNECTION_STRING: url(oltp),
      DW_CONNECTION_STRING: url(dw),
      AzureWebJobsStorage: azurite.connectionString,
      FAULT_HOST_JSON: hostJson.path,
      RUN_LEASE_MINUTES: '1',
    };
    const warehouse = (dw.database as Database<WarehouseTables>).db;

    const killed = startPipelineChild(env, 'dimensions');
    await killed.paused(90_000);
    // a heartbeat keeps the lease while the step works
    const held = await warehouse.selectFrom('etl.lease').select(['holder', 'expires_at']).executeTakeFirstOrThrow();
    await killed.kill9();
    const killedAt = Date.now();
    const dead = runOfHolder(held.holder!);
    expect(new Date(held.expires_at!).getTime() - killedAt).toBeLessThanOrEqual(LEASE_MS);

    // the next triggers: skipped while the dead run's lease has not expired, then one recovers it
    let recovered: { output: string; at: number } | null = null;
    const skipped: number[] = [];
    while (!recovered && Date.now() - killedAt < LEASE_MS + 4 * TRIGGER_EVERY_MS) {
      const triggeredAt = Date.now();
      const child = startPipelineChild(env);
      const exit = await child.exited(120_000);
      if (exit.code === 0) recovered = { output: child.output(), at: Date.now() };
      else {
        expect(child.report()?.status).toBe('skipped');
        skipped.push(triggeredAt - killedAt);
        await new Promise((r) => setTimeout(r, Math.max(0, TRIGGER_EVERY_MS - (Date.now() - triggeredAt))));
      }
    }
    if (!recovered) throw new Error(`not recovered ${LEASE_MS + 4 * TRIGGER_EVERY_MS} ms after the kill (skipped at ${skipped.join(', ')} ms)`);
    const recoveryMs = recovered.at - killedAt;
    console.log(`recovered ${recoveryMs} ms after the kill; triggers skipped at ${skipped.join(', ')} ms`);
    expect(skipped.length).toBeGreaterThan(0); // the lease outlived the kill: a live-looking run is not taken over early
    expect(recoveryMs).toBeLessThanOrEqual(LEASE_MS + TRIGGER_EVERY_MS + 30_000);

    const run = await warehouse.selectFrom('etl.run').select(['status', 'error']).where('run_id', '=', dead).executeTakeFirstOrThrow();
    expect(run).toEqual({
      status: 'failed',
      error: expect.stringMatching(/^run presumed dead: its pipeline lease expired at .* without a heartbeat; recovered by run /),
    });
    const after = await reconcile(oltp.database.db as never, warehouse);
    expectReconciled(after, 'after a killed run and its automatic recovery');
    expect((await warehouse.selectFrom('etl.lease').select('holder').executeTakeFirstOrThrow()).holder).toBeNull();
  }, 240_000);
});
