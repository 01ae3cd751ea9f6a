// The local Functions host runs the real handlers with the real host's queue semantics.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGISTRATIONS, type LocalHost } from '../../dev/host.js';
import { getDatabase } from '../../shared/db/connections.js';
import { releaseLease } from '../../shared/pipeline/lease.js';
import { startRun } from '../../shared/pipeline/run-audit.js';
import { seedBase } from '../../shared/seed/base.js';
import { decodeMessage, encodeMessage } from '../../shared/storage/queues.js';
import { startTestHost, stopTestHost } from '../helpers/host.js';

let host: LocalHost;
let logs: string[] = [];
let connectionString: string;

beforeAll(async () => {
  ({ host, connectionString } = await startTestHost({ container: 'raw-host-test', maxDequeueCount: 3, log: (l) => logs.push(l) }));
});

afterAll(() => stopTestHost());

beforeEach(() => {
  logs = [];
});

async function queueTexts(name: string): Promise<string[]> {
  const { QueueServiceClient } = await import('@azure/storage-queue');
  const q = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(name);
  if (!(await q.exists())) return [];
  const { peekedMessageItems } = await q.peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((m) => m.messageText);
}

describe('local Functions host', () => {
  it('registers every function in functions/', () => {
    const files = readdirSync('functions').filter((f) => f.endsWith('.ts'));
    const handlers = new Set([...REGISTRATIONS.timers, ...REGISTRATIONS.queues, ...REGISTRATIONS.http].map((r) => r.handler.name));
    expect(files.length).toBe(handlers.size);
    for (const f of files) {
      const source = readFileSync(join('functions', f), 'utf8');
      const exported = /export async function (\w+Handler)\(/.exec(source)?.[1];
      expect(handlers.has(exported!)).toBe(true);
    }
  });

  it('runs a daily load through the timer and both queues', async () => {
    await seedBase(await getDatabase('oltp'), { scale: 0.02, seed: 1, asOf: new Date('2026-06-01T00:00:00Z') });
    await host.fireTimer('extract');
    await host.drain(500);
    const dw = await getDatabase('dw');
    const runs = await dw.db.selectFrom('etl.run').select(['run_id', 'status']).execute();
    expect(runs).toEqual([{ run_id: expect.any(String), status: 'succeeded' }]);
    const count = async (table: string) =>
      Number(
        (
          await dw.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const items = Number(
      (
        await (
          await getDatabase('oltp')
        ).db
          .selectFrom('oltp.itens_pedido')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(await count('dw.fact_vendas')).toBe(items);
    expect(await queueTexts('load-dimensions')).toEqual([]);
    expect(await queueTexts('load-facts')).toEqual([]);
  });

  it('moves a malformed message to the poison queue after maxDequeueCount attempts, logging the reason', async () => {
    const { QueueServiceClient } = await import('@azure/storage-queue');
    const q = QueueServiceClient.fromConnectionString(connectionString).getQueueClient('load-dimensions');
    await q.sendMessage(encodeMessage({ runId: 'x', kind: 'hourly' }));
    await host.drain(300);
    expect(logs.filter((l) => l.includes('malformed message'))).toHaveLength(3);
    expect(logs.some((l) => l.includes('kind: Invalid option'))).toBe(true);
    expect(logs.some((l) => l.includes('moved to load-dimensions-poison'))).toBe(true);
    const poison = await queueTexts('load-dimensions-poison');
    expect(poison.map((t) => decodeMessage(t))).toEqual([{ runId: 'x', kind: 'hourly' }]);
    expect(await queueTexts('load-dimensions')).toEqual([]);
  });

  it('a fact message that always fails ends in load-facts-poison after maxDequeueCount, with its run marked failed', async () => {
    const dw = await getDatabase('dw');
    await startRun(dw.db, { runId: 'r-broken', kind: 'daily' });
    const { QueueServiceClient } = await import('@azure/storage-queue');
    const q = QueueServiceClient.fromConnectionString(connectionString).getQueueClient('load-facts');
    await q.createIfNotExists();
    await q.sendMessage(
      encodeMessage({ runId: 'r-broken', kind: 'daily', batches: [{ entity: 'pedidos', manifestPath: 'pedidos/2026/01/01/r-broken/_manifest.json' }] }),
    );
    await host.drain(300);
    expect(logs.filter((l) => l.includes('attempt') && l.includes('blob pedidos/2026/01/01/r-broken/_manifest.json does not exist'))).toHaveLength(3);
    expect((await queueTexts('load-facts-poison')).map((t) => decodeMessage(t))).toEqual([expect.objectContaining({ runId: 'r-broken' })]);
    const run = await dw.db.selectFrom('etl.run').select(['status', 'error']).where('run_id', '=', 'r-broken').executeTakeFirstOrThrow();
    expect(run).toEqual({ status: 'failed', error: expect.stringContaining('does not exist') });
    await releaseLease(dw.db, 'r-broken');
  });
});
