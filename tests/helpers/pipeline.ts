// A complete pipeline context for tests: fresh OLTP and warehouse databases on one engine, an
// isolated set of Azurite containers/queues, and a way to receive what a step enqueued.
import { sql } from 'kysely';
import { loadSettings, type Settings } from '../../shared/config/settings.js';
import { migrate } from '../../shared/db/migrate.js';
import type { WarehouseTables } from '../../shared/db/schema/index.js';
import type { PipelineContext } from '../../shared/pipeline/context.js';
import { loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { parseLoadMessage, QUEUES, type LoadMessage } from '../../shared/pipeline/messages.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { BatchStore } from '../../shared/storage/batch-store.js';
import { decodeMessage, QueueSender } from '../../shared/storage/queues.js';
import { silentLogger } from '../../shared/telemetry/logger.js';
import type { TestEngine } from './engines.js';
import { freshStorage, type StorageSet } from './storage.js';

export interface TestPipeline {
  ctx: PipelineContext;
  storage: StorageSet;
  /** the next message a step put on a logical queue, removed from the queue */
  receive(queue: string): Promise<LoadMessage>;
  close(): Promise<void>;
}

export async function testPipeline(engine: TestEngine, env: Record<string, string> = {}): Promise<TestPipeline> {
  const oltp = await engine.fresh();
  const dw = await engine.fresh();
  await migrate(oltp.database, 'oltp');
  await migrate(dw.database, 'dw');
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
