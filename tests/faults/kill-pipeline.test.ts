// kill -9 of the pipeline process at each stage of a run, then a fresh run: the warehouse must
// reconcile with the source (tests/helpers/reconcile.ts). The pipeline runs as a child process
// (tests/helpers/fault-pipeline-child.ts: what `npm run pipeline` does) against databases on the
// PostgreSQL server, so this process can look at them while the child is paused and after it died.
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import type { OltpTables, WarehouseTables } from '../../shared/db/schema/index.js';
import type { Database } from '../../shared/db/database.js';
import { seedBase } from '../../shared/seed/base.js';
import { testEngines, type FreshDatabase } from '../helpers/engines.js';
import { fastHostJson, startPipelineChild, stopAllChildren, type PauseStage } from '../helpers/fault-child.js';
import { expectReconciled, reconcile } from '../helpers/reconcile.js';

const postgres = testEngines().find((e) => e.name === 'postgres');

/**
 * The killed run's lease would expire RUN_LEASE_MINUTES (at least 1 minute) after its last renewal;
 * moving its expiry into the past stands in for that much clock passing.
 */
async function expireLease(dw: Database<WarehouseTables>): Promise<void> {
  await dw.db
    .updateTable('etl.lease')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where('holder', 'is not', null)
    .execute();
}

(postgres ? describe : describe.skip)('kill -9 of the pipeline process (PostgreSQL server)', () => {
  let oltp: FreshDatabase | undefined;
  let dw: FreshDatabase | undefined;
  let azurite: Azurite | undefined;
  let hostJson: ReturnType<typeof fastHostJson> | undefined;
  let env: Record<string, string>;

  beforeEach(async () => {
    oltp = await postgres!.fresh('oltp');
    dw = await postgres!.fresh('dw');
    azurite = await startAzurite({ inMemory: true });
    hostJson = fastHostJson();
    await seedBase(oltp.database as Database<OltpTables>, { scale: 0.05, seed: 3, asOf: new Date(Date.now() - 86_400_000) });
    const url = (f: FreshDatabase) => (f.target.engine === 'postgres' ? f.target.url : '');
    env = { OLTP_CONNECTION_STRING: url(oltp), DW_CONNECTION_STRING: url(dw), AzureWebJobsStorage: azurite.connectionString, FAULT_HOST_JSON: hostJson.path };
  });

  afterEach(async () => {
    await stopAllChildren();
    await azurite?.stop();
    await oltp?.close();
    await dw?.close();
    hostJson?.remove();
    oltp = dw = azurite = hostJson = undefined;
  });

  it.each<[PauseStage, string]>([
    ['extract', 'during the extract'],
    ['after-extract', 'between the extract and the dimension load'],
    ['dimensions', 'during the dimension load (clientes merged, not committed)'],
    ['facts', 'during the fact load (sales written, not committed)'],
  ])('killed at %s (%s): nothing half-loaded, no watermark ahead, a fresh run converges', async (stage) => {
    const source = oltp!.database.db as never;
    const warehouse = (dw!.database as Database<WarehouseTables>).db;
    const killed = startPipelineChild(env, stage);
    await killed.paused(90_000);
    await killed.kill9();
    const dead = await warehouse.selectFrom('etl.run').select(['run_id', 'status']).orderBy('run_id', 'desc').executeTakeFirstOrThrow();
    // nothing the killed transaction wrote is visible, and no watermark passed a row not loaded
    const mid = await reconcile(source, warehouse);
    expect(mid.watermarkViolations).toEqual([]);
    const count = async (table: 'dw.dim_cliente' | 'dw.fact_vendas' | 'ods.pedidos') =>
      Number(
        (
          await warehouse
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    if (stage === 'dimensions') expect(await count('dw.dim_cliente')).toBe(1); // the unknown member only
    if (stage === 'facts') expect([await count('dw.fact_vendas'), await count('ods.pedidos')]).toEqual([0, 0]);
    const lease = await warehouse.selectFrom('etl.lease').select('holder').executeTakeFirstOrThrow();
    // while a load step works its delivery holds the lease as <runId>#<token>
    expect(lease.holder?.split('#')[0]).toBe(dead.run_id);

    await expireLease(dw!.database as Database<WarehouseTables>);
    const fresh = startPipelineChild(env);
    const exit = await fresh.exited(120_000);
    expect({ exit, status: fresh.report()?.status }).toEqual({ exit: { code: 0, signal: null }, status: 'succeeded' });
    const after = await reconcile(source, warehouse);
    expectReconciled(after, `after the kill at ${stage} and a fresh run`);
    expect(after.due.itens_pedido).toBeGreaterThan(500);
    expect((await warehouse.selectFrom('etl.lease').select('holder').executeTakeFirstOrThrow()).holder).toBeNull();
  });
});
