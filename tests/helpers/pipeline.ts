// A complete pipeline context for tests: fresh OLTP and warehouse databases on one engine, an
// isolated set of Azurite containers/queues, and a way to receive what a step enqueued.
//
//   const p = await testPipeline(engine);              // empty, migrated databases; p.close() drops them
//   const loaded = pipelineFixture(engine, setup);     // in a describe: setup runs once in beforeAll
//   const p = await loaded.shared();                   // tests that only read the loaded state
//   const p = await loaded.fork();                     // a test that changes it: its own copy; p.close()
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { loadSettings, type Settings } from '../../shared/config/settings.js';
import type { ConnectionTarget } from '../../shared/db/connection-string.js';
import { openDatabase } from '../../shared/db/open.js';
import { readClock } from '../../shared/db/portable-sql.js';
import type { WarehouseTables } from '../../shared/db/schema/index.js';
import type { PipelineContext } from '../../shared/pipeline/context.js';
import { loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { parseLoadMessage, QUEUES, type LoadMessage } from '../../shared/pipeline/messages.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { seedBase, type SeedBaseOptions } from '../../shared/seed/base.js';
import { BatchStore } from '../../shared/storage/batch-store.js';
import { decodeMessage, QueueSender } from '../../shared/storage/queues.js';
import { silentLogger } from '../../shared/telemetry/logger.js';
import type { FreshDatabase, TestEngine } from './engines.js';
import { freshStorage, type StorageSet } from './storage.js';

export interface TestPipeline {
  ctx: PipelineContext;
  storage: StorageSet;
  /** the next message a step put on a logical queue, removed from the queue */
  receive(queue: string): Promise<LoadMessage>;
  close(): Promise<void>;
}

export async function testPipeline(engine: TestEngine, env: Record<string, string> = {}): Promise<TestPipeline> {
  // migrated copies of the engine's templates where it has them (PGlite), migrated here otherwise
  const oltp = await engine.fresh('oltp');
  const dw = await engine.fresh('dw').catch(async (e: unknown) => {
    await oltp.close();
    throw e;
  });
  return pipelineOn(oltp, dw, env);
}

/** A pipeline over two open databases; close() drops them. */
async function pipelineOn(oltp: FreshDatabase, dw: FreshDatabase, env: Record<string, string>): Promise<TestPipeline> {
  const storage = await freshStorage({ containers: ['raw'] });
  const settings: Settings = loadSettings({ EXTRACT_SAFETY_LAG_SECONDS: '0', ...env });
  const queues = new QueueSender(storage.queueService, (q) => storage.name(q));
  const ctx: PipelineContext = { settings, oltp: oltp.database, dw: dw.database, store: new BatchStore(storage.container('raw')), queues, log: silentLogger };
  return {
    ctx,
    storage,
    async receive(queue) {
      const client = storage.queue(queue);
      const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 1 });
      const item = receivedMessageItems[0];
      if (!item) throw new Error(`queue ${queue} is empty`);
      await client.deleteMessage(item.messageId, item.popReceipt);
      return parseLoadMessage(decodeMessage(item.messageText));
    },
    async close() {
      await storage.cleanup();
      await oltp.close();
      await dw.close();
    },
  };
}

/** A pipeline in the state a fixture's setup left it, with what setup returned. */
export interface LoadedPipeline<T> extends TestPipeline {
  readonly setup: T;
}

export interface PipelineFixture<T> {
  /** For tests that only read the loaded state: not to be changed or closed by the test (afterAll closes it). */
  shared(): Promise<LoadedPipeline<T>>;
  /** For a test that changes the state: a copy of its own (~0.5-1 s on PGlite); the test close()s it. */
  fork(): Promise<LoadedPipeline<T>>;
}

/**
 * For a describe block whose tests start from the same loaded pipeline (seeded, one daily run...):
 * beforeAll runs setup once on a new pipeline. shared() hands out that pipeline itself while no
 * copy has been made (no copy to pay for when the reading tests run first), and a copy after.
 * The first fork() closes the databases and keeps them as a template; each fork() opens copies of
 * them (a data dir copy on PGlite, CREATE DATABASE ... TEMPLATE on PostgreSQL) with new, empty
 * storage. So every test passes alone and in any order, and the seeding is paid once per block.
 * On an engine that cannot copy a database (SQL Server) each copy runs setup again on a new
 * pipeline, with its own setup result.
 */
export function pipelineFixture<T>(engine: TestEngine, setup: (p: TestPipeline) => Promise<T>, env: Record<string, string> = {}): PipelineFixture<T> {
  let template: { oltp: FreshDatabase; dw: FreshDatabase; result: T; open: TestPipeline | undefined } | undefined;
  let shared: Promise<LoadedPipeline<T>> | undefined;

  /** Closes the set-up pipeline (a database is copied only while no one is connected to it); its databases stay. */
  async function freeze(): Promise<void> {
    const open = template?.open;
    if (!template || !open) return;
    template.open = undefined;
    shared = undefined;
    await open.storage.cleanup();
    await template.oltp.database.close();
    await template.dw.database.close();
  }

  beforeAll(async () => {
    const oltp = await engine.fresh('oltp');
    const dw = await engine.fresh('dw');
    const p = await pipelineOn(oltp, dw, env);
    template = { oltp, dw, result: undefined as T, open: p };
    template.result = await setup(p);
  });
  afterAll(async () => {
    await (await shared?.catch(() => undefined))?.close();
    shared = undefined;
    await freeze();
    // close() closes again (a no-op) and drops the databases
    await template?.oltp.close();
    await template?.dw.close();
    template = undefined;
  });

  async function fork(): Promise<LoadedPipeline<T>> {
    if (!template) throw new Error('pipelineFixture: copies exist only inside beforeAll/it/afterAll of its describe block, after its beforeAll');
    await freeze();
    const oltp = await copyOf(template.oltp.target);
    const dw =
      oltp &&
      (await copyOf(template.dw.target).catch(async (e: unknown) => {
        await oltp.close();
        throw e;
      }));
    if (!oltp || !dw) {
      const p = await testPipeline(engine, env);
      try {
        return { ...p, setup: await setup(p) };
      } catch (e) {
        await p.close();
        throw e;
      }
    }
    return { ...(await pipelineOn(oltp, dw, env)), setup: template.result };
  }

  return {
    shared() {
      const open = template?.open;
      // the set-up pipeline itself: freeze() or afterAll closes it, not the test
      if (open && template) return Promise.resolve({ ...open, setup: template.result, close: async () => undefined });
      return (shared ??= fork());
    },
    fork,
  };
}

const COPIES = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/**
 * A new database holding a copy of a closed database, on the same engine; close() drops it.
 * undefined where the engine cannot copy one here (SQL Server; PostgreSQL without TEST_POSTGRES_URL).
 */
async function copyOf(target: ConnectionTarget): Promise<FreshDatabase | undefined> {
  if (target.engine === 'pglite' && target.dataDir !== null) {
    // named like engines.ts's copies, so a copy a dead test process left behind is swept the same way
    const folder = mkdtempSync(join(COPIES, 'pglite-test-'));
    const remove = () => rmSync(folder, { recursive: true, force: true });
    const copy: ConnectionTarget = { engine: 'pglite', dataDir: join(folder, 'data') };
    cpSync(target.dataDir, copy.dataDir!, { recursive: true });
    const database = await openDatabase(copy).catch((e: unknown) => {
      remove();
      throw e;
    });
    return {
      database,
      target: copy,
      async close() {
        await database.close();
        remove();
      },
    };
  }
  const adminUrl = process.env.TEST_POSTGRES_URL;
  if (target.engine === 'postgres' && adminUrl) {
    const source = new URL(target.url).pathname.slice(1);
    const name = `t_${randomBytes(6).toString('hex')}`;
    const admin = async (statement: string) => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    };
    // the template's last connection may still be closing on the server ("being accessed by other users")
    for (let attempt = 1; ; attempt++) {
      try {
        await admin(`CREATE DATABASE ${name} TEMPLATE ${source}`);
        break;
      } catch (e) {
        if (attempt >= 20 || (e as { code?: string }).code !== '55006') throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const url = new URL(target.url);
    url.pathname = `/${name}`;
    const copy: ConnectionTarget = { engine: 'postgres', url: url.toString() };
    const drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const database = await openDatabase(copy).catch(async (e: unknown) => {
      await drop();
      throw e;
    });
    return {
      database,
      target: copy,
      async close() {
        await database.close();
        await drop();
      },
    };
  }
  return undefined;
}

/** Every row of the given tables, ordered by key, without load bookkeeping (run id, load time). */
async function snapshot(
  ctx: PipelineContext,
  tables: readonly (readonly [name: string, table: keyof WarehouseTables, key: string])[],
): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [name, table, key] of tables) {
    const rows = await ctx.dw.db.selectFrom(table).selectAll().orderBy(sql.ref(key)).execute();
    out[name] = rows.map((r) => {
      const { run_id: _r, loaded_at: _l, ...rest } = r as Record<string, unknown>;
      return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
    });
  }
  return out;
}

/** The dimensions, keyed by table name (dim_cliente, ...). */
export const dimensionSnapshot = (ctx: PipelineContext) =>
  snapshot(
    ctx,
    (['categoria', 'vendedor', 'campanha', 'cliente', 'produto', 'data'] as const).map((d) => [`dim_${d}`, `dw.dim_${d}`, `${d}_key`] as const),
  );

/** The fact tables and the ODS, keyed by qualified name (dw.fact_vendas, ods.pedidos, ...). */
export const factSnapshot = (ctx: PipelineContext) =>
  snapshot(
    ctx,
    (
      [
        ['dw.fact_vendas', 'item_id'],
        ['dw.fact_descontos', 'item_id'],
        ['dw.fact_metas', 'meta_id'],
        ['ods.pedidos', 'id'],
        ['ods.itens_pedido', 'id'],
        ['ods.pagamentos', 'id'],
      ] as const
    ).map(([table, key]) => [table, table, key] as const),
  );

/** One full daily run through the queues: extract, the dimension load, then the fact load. */
export async function dailyRun(p: TestPipeline) {
  const extract = await runExtract(p.ctx);
  if (extract.status !== 'started') throw new Error(`run skipped: lease held by ${extract.heldBy}`);
  const reports = await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
  await loadFacts(p.ctx, await p.receive(QUEUES.facts));
  return { runId: extract.runId, rows: extract.rows, reports };
}

/** Seeds a base that ends yesterday (00:00 UTC) on the source's clock, which the extract windows are measured against: today's changes are then later than every base row. Returns that day. */
export async function seedBaseEndingYesterday(p: TestPipeline, options: Omit<SeedBaseOptions, 'asOf'>): Promise<Date> {
  const asOf = new Date((await readClock(p.ctx.oltp.db)).toISOString().slice(0, 10) + 'T00:00:00.000Z');
  asOf.setUTCDate(asOf.getUTCDate() - 1);
  await seedBase(p.ctx.oltp, { ...options, asOf });
  return asOf;
}
