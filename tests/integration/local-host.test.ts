// The local Functions host runs the real handlers with the real host's queue semantics.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import type { QueueServiceClient } from '@azure/storage-queue';
import type { LocalHost } from '../../dev/host.js';
import { readHostJson } from '../../dev/host-json.js';
import { createQueuePoller } from '../../dev/queue-poller.js';
import type { QueueRegistration } from '../../dev/registrations.js';
import { MAX_DEQUEUE_COUNT } from '../../shared/pipeline/messages.js';
import { REGISTRATIONS } from '../../dev/registrations.js';
import { getDatabase } from '../../shared/db/connections.js';
import type { WarehouseTables } from '../../shared/db/schema/index.js';
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

interface FunctionMetadata {
  name: string;
  bindings: Record<string, { type: string } & Record<string, unknown>>;
}

/**
 * Imports every functions/*.ts in a fresh Node process and returns, per file, the functions it
 * registered with the host, plus everything the process printed besides. With `underWorker` the
 * process provides '@azure/functions-core' the way the Azure Functions Node worker does
 * (intercepting require), so @azure/functions registers for real.
 */
function loadFunctionFiles({ underWorker }: { underWorker: boolean }): {
  registered: Record<string, FunctionMetadata[]>;
  hooks: Record<string, string[]>;
  output: string;
} {
  const script = `
    import Module from 'node:module';
    import { readdirSync } from 'node:fs';
    const registered = {};
    const hooks = {};
    let current = [];
    let currentHooks = [];
    if (${underWorker}) {
      const core = {
        version: 'test', hostVersion: 'test', setProgrammingModel() {},
        registerFunction: (m) => (current.push(m), { dispose() {} }),
        registerHook: (name) => (currentHooks.push(name), { dispose() {} }),
      };
      Module.prototype.require = new Proxy(Module.prototype.require, {
        apply: (target, self, args) => (args[0] === '@azure/functions-core' ? core : Reflect.apply(target, self, args)),
      });
    }
    for (const file of readdirSync('functions').filter((f) => f.endsWith('.ts'))) {
      current = registered[file] = [];
      currentHooks = hooks[file] = [];
      await import('./functions/' + file);
    }
    process.stdout.write('REGISTERED ' + JSON.stringify({ registered, hooks }));
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const [output, json] = (run.stdout + run.stderr).split('REGISTERED ');
  if (run.status !== 0 || json === undefined) throw new Error(`loading functions/ failed:\n${run.stdout}${run.stderr}`);
  const parsed = JSON.parse(json) as { registered: Record<string, FunctionMetadata[]>; hooks: Record<string, string[]> };
  return { ...parsed, output: output!.trim() };
}

describe('local Functions host', () => {
  it('runs every function of functions/ with the trigger settings each registers with on Azure', () => {
    const { registered, hooks, output } = loadFunctionFiles({ underWorker: true });
    const files = readdirSync('functions').filter((f) => f.endsWith('.ts'));
    // each function file registers exactly one function when the real host loads it; the app's
    // lifecycle file registers its shutdown hook and no function
    expect(Object.keys(registered).sort()).toEqual(files.sort());
    for (const [file, functionsOfFile] of Object.entries(registered)) {
      if (file === 'app-lifecycle.ts') expect([file, functionsOfFile.length, hooks[file]]).toEqual([file, 0, ['appTerminate']]);
      else expect([file, functionsOfFile.length, hooks[file]]).toEqual([file, 1, []]);
    }
    const triggers = new Map(
      Object.values(registered)
        .flat()
        .map((m) => [m.name, Object.values(m.bindings).find((b) => b.type.endsWith('Trigger'))]),
    );
    const local = [
      ...REGISTRATIONS.timers.map((r) => ['timerTrigger', r] as const),
      ...REGISTRATIONS.queues.map((r) => ['queueTrigger', r] as const),
      ...REGISTRATIONS.http.map((r) => ['httpTrigger', r] as const),
    ];
    expect(local.map(([, r]) => r.name).sort()).toEqual([...triggers.keys()].sort());
    for (const [type, { name, handler: _handler, ...settings }] of local) expect(triggers.get(name)).toMatchObject({ type, ...settings });
    expect(output).not.toContain('WARNING');
  });

  it('outside the Functions host, loading functions/ registers nothing and prints nothing', () => {
    const { registered, hooks, output } = loadFunctionFiles({ underWorker: false });
    expect(Object.values(registered).flat()).toEqual([]);
    expect(Object.values(hooks).flat()).toEqual([]);
    expect(output).toBe('');
  });

  it('runs a daily load through the timer and both queues', async () => {
    await seedBase(await getDatabase('oltp'), { scale: 0.02, seed: 1, asOf: new Date('2026-06-01T00:00:00Z') });
    const dw = await getDatabase('dw');
    // the runs of other tests in this file (they share the host's databases) are not this one's
    const earlier = (await dw.db.selectFrom('etl.run').select('run_id').execute()).map((r) => r.run_id);
    await host.fireTimer('extract');
    await host.drain(500);
    const runs = (await dw.db.selectFrom('etl.run').select(['run_id', 'status']).execute()).filter((r) => !earlier.includes(r.run_id));
    expect(runs).toEqual([{ run_id: expect.any(String), status: 'succeeded' }]);
    const count = async (table: keyof WarehouseTables) =>
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
    // the queue exists once an extract has sent to it; this test must not rely on an earlier one
    await q.createIfNotExists();
    await q.sendMessage(encodeMessage({ runId: 'x', kind: 'hourly' }));
    await host.drain(300);
    expect(logs.filter((l) => l.includes('malformed message'))).toHaveLength(3);
    expect(logs.some((l) => l.includes('kind: Invalid option'))).toBe(true);
    expect(logs.some((l) => l.includes('moved to load-dimensions-poison'))).toBe(true);
    const poison = await queueTexts('load-dimensions-poison');
    expect(poison.map((t) => decodeMessage(t))).toEqual([{ runId: 'x', kind: 'hourly' }]);
    expect(await queueTexts('load-dimensions')).toEqual([]);
  });

  it('a load message for a run that does not exist or is not the active one ends in poison with its reason; lease and etl.run untouched', async () => {
    const dw = await getDatabase('dw');
    await startRun(dw.db, { runId: 'r-stray', kind: 'daily' });
    const snapshot = async () => ({
      lease: await dw.db.selectFrom('etl.lease').selectAll().execute(),
      runs: await dw.db.selectFrom('etl.run').selectAll().orderBy('run_id').execute(),
    });
    const before = await snapshot();
    const { QueueServiceClient } = await import('@azure/storage-queue');
    const q = QueueServiceClient.fromConnectionString(connectionString).getQueueClient('load-facts');
    await q.createIfNotExists();
    const batches = [{ entity: 'pedidos', manifestPath: 'pedidos/2026/01/01/r-stray/_manifest.json' }];
    await q.sendMessage(encodeMessage({ runId: '20990101T000000000Z-0dead0', kind: 'daily', batches }));
    await q.sendMessage(encodeMessage({ runId: 'r-stray', kind: 'daily', batches }));
    await host.drain(300);
    expect(logs.filter((l) => l.includes('load message refused') && l.includes('no such run'))).toHaveLength(3);
    expect(logs.filter((l) => l.includes('load message refused') && l.includes('the run has not finished its extract'))).toHaveLength(3);
    expect((await queueTexts('load-facts-poison')).map((t) => decodeMessage(t))).toEqual([
      expect.objectContaining({ runId: '20990101T000000000Z-0dead0' }),
      expect.objectContaining({ runId: 'r-stray' }),
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it('the functions give a run up on the attempt host.json makes the last (maxDequeueCount)', () => {
    expect(readHostJson().maxDequeueCount).toBe(MAX_DEQUEUE_COUNT);
  });
});

describe('local host queue settling when storage blips', () => {
  /** A queue service whose delete/update fail `failures` times before working; records what happened. */
  function blippingService(failures: number) {
    const calls = { handled: 0, deleted: 0, updated: 0, poisoned: 0, failedCalls: 0 };
    let left = failures;
    let visible = true;
    let dequeueCount = 0;
    const blip = async () => {
      if (left > 0) {
        left--;
        calls.failedCalls++;
        throw Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' });
      }
    };
    const queue = {
      createIfNotExists: async () => undefined,
      receiveMessages: async () => {
        if (!visible) return { receivedMessageItems: [] };
        dequeueCount++;
        return { receivedMessageItems: [{ messageId: 'm1', popReceipt: 'p', dequeueCount, messageText: encodeMessage({ hello: 1 }), insertedOn: new Date() }] };
      },
      deleteMessage: async () => {
        await blip();
        calls.deleted++;
        visible = false;
      },
      updateMessage: async () => {
        await blip();
        calls.updated++;
      },
      sendMessage: async () => {
        calls.poisoned++;
      },
    };
    const service = { getQueueClient: () => queue } as unknown as QueueServiceClient;
    return { service, calls, reappear: () => (visible = true) };
  }
  const settings = { maxDequeueCount: 3, visibilityTimeoutSeconds: 0, maxPollingIntervalMs: 100 };

  it('a delete that fails transiently is retried: handled once, deleted, no crash', async () => {
    const { service, calls } = blippingService(2);
    const lines: string[] = [];
    const queues = [{ name: 'q', queueName: 'q', connection: 'x', handler: async () => void calls.handled++ }] as unknown as QueueRegistration[];
    const poller = createQueuePoller({ queues, service, queueName: (n) => n, settings, log: (l) => lines.push(l) });
    expect(await poller.pollOnce()).toBe(1);
    expect(await poller.pollOnce()).toBe(0);
    expect(calls).toEqual({ handled: 1, deleted: 1, updated: 0, poisoned: 0, failedCalls: 2 });
    expect(lines.filter((l) => l.includes('delete failed'))).toHaveLength(2);
  });

  it('a delete that keeps failing is reported; the redelivery says so (never silent), and past maxDequeueCount it goes to poison unprocessed', async () => {
    const { service, calls, reappear } = blippingService(100);
    const lines: string[] = [];
    const queues = [{ name: 'q', queueName: 'q', connection: 'x', handler: async () => void calls.handled++ }] as unknown as QueueRegistration[];
    const poller = createQueuePoller({ queues, service, queueName: (n) => n, settings, log: (l) => lines.push(l) });
    await expect(poller.pollOnce()).resolves.toBe(1);
    expect(lines.some((l) => l.includes('could not be settled after its attempt succeeded'))).toBe(true);
    reappear();
    await poller.pollOnce();
    expect(lines.some((l) => l.includes('is delivered again (dequeue count 2): its earlier attempt succeeded but could not be settled'))).toBe(true);
    await poller.pollOnce();
    await poller.pollOnce();
    expect(calls.handled).toBe(3);
    expect(lines.some((l) => l.includes('more than 3: moved to poison without running'))).toBe(true);
    expect(calls.poisoned).toBeGreaterThan(0);
  });
});
