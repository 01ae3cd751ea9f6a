// The backfill's extract runs from the backfill-extract queue, on the local Functions host (real
// Azurite, PGlite): it extracts once per run whatever the queue delivers (a duplicate, a late
// redelivery, a message for a run the watchdog already gave up), refuses a malformed or stray
// message to poison, and reports a failed extract once, as the timer's extract does.
import type { LocalHost } from '../../dev/host.js';
import { getDatabase } from '../../shared/db/connections.js';
import { ENTITIES } from '../../shared/pipeline/entities.js';
import { extractBackfill, startBackfill } from '../../shared/pipeline/backfill-run.js';
import { parseBackfillRequest } from '../../shared/pipeline/backfill.js';
import { EVENTS } from '../../shared/telemetry/events.js';
import { loadSettings } from '../../shared/config/settings.js';
import { parseBackfillExtract, QUEUES } from '../../shared/pipeline/messages.js';
import { pipelineContext } from '../../shared/pipeline/runtime.js';
import { newRunId, startRun } from '../../shared/pipeline/run-audit.js';
import { seedBase } from '../../shared/seed/base.js';
import { BatchStore } from '../../shared/storage/batch-store.js';
import { decodeMessage, encodeMessage } from '../../shared/storage/queues.js';
import { silentLogger } from '../../shared/telemetry/logger.js';
import { goldenIdentities } from '../../shared/db/statement-golden.js';
import { startTestHost, stopTestHost } from '../helpers/host.js';
import { capturingDatabase } from '../helpers/statement-capture.js';
import { captureTelemetry } from '../helpers/telemetry-capture.js';

let host: LocalHost;
let connectionString: string;
let logs: string[] = [];

const ALL = ENTITIES.map((e) => e.name);

beforeAll(async () => {
  ({ host, connectionString } = await startTestHost({ container: 'raw-backfill-queue', maxDequeueCount: 3, log: (l) => logs.push(l) }));
  await seedBase(await getDatabase('oltp'), { scale: 0.02, seed: 3, asOf: new Date('2026-06-01T00:00:00Z') });
});

afterAll(() => stopTestHost());

beforeEach(() => {
  logs = [];
});

async function queue(name: string) {
  const { QueueServiceClient } = await import('@azure/storage-queue');
  const q = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(name);
  await q.createIfNotExists();
  return q;
}

async function queueTexts(name: string): Promise<unknown[]> {
  const { peekedMessageItems } = await (await queue(name)).peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((m) => decodeMessage(m.messageText));
}

/** A backfill accepted as POST /api/backfill accepts it: the run leased and its extract message queued (not run). */
async function acceptBackfill(body: object, now?: Date): Promise<{ runId: string; message: unknown }> {
  const ctx = await pipelineContext(silentLogger);
  const started = await startBackfill(ctx, parseBackfillRequest(JSON.stringify(body), loadSettings()), now);
  if (started.status !== 'started') throw new Error(`backfill skipped: lease held by ${started.heldBy}`);
  const messages = await queueTexts(QUEUES.backfillExtract);
  return { runId: started.runId, message: messages.find((m) => (m as { runId: string }).runId === started.runId) };
}

async function runState(runId: string) {
  const dw = await getDatabase('dw');
  const run = await dw.db.selectFrom('etl.run').select(['kind', 'status', 'error']).where('run_id', '=', runId).executeTakeFirstOrThrow();
  const extract = await dw.db.selectFrom('etl.run_step').select(['entity', 'status']).where('run_id', '=', runId).where('step', '=', 'extract').execute();
  const batches = await dw.db.selectFrom('etl.batch').select(['entity', 'manifest_path']).where('run_id', '=', runId).execute();
  return { ...run, extract, batches };
}

async function manifestsOf(runId: string): Promise<string[]> {
  const { BlobServiceClient } = await import('@azure/storage-blob');
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('raw-backfill-queue');
  const names: string[] = [];
  if (!(await container.exists())) return names;
  for await (const blob of container.listBlobsFlat()) if (blob.name.includes(runId) && blob.name.endsWith('_manifest.json')) names.push(blob.name);
  return names.sort();
}

describe('backfill-extract queue', () => {
  it('extracts once when the message is delivered twice, and a redelivery after the run succeeded changes nothing', async () => {
    const { runId, message } = await acceptBackfill({ from: '2026-04-01', to: '2026-05-01' });
    expect(parseBackfillExtract(message)).toEqual({
      runId,
      kind: 'backfill',
      window: { from: '2026-04-01T00:00:00.000Z', to: '2026-05-01T00:00:00.000Z' },
      entities: ALL,
      requestedAt: expect.any(String),
    });
    // nothing extracted before the queue is polled
    expect(await runState(runId)).toMatchObject({ status: 'running', extract: [], batches: [] });
    await (await queue(QUEUES.backfillExtract)).sendMessage(encodeMessage(message as object));

    await host.drain(500);
    const done = await runState(runId);
    expect(done.status).toBe('succeeded');
    expect(done.extract.map((s) => s.entity).sort()).toEqual([...ALL].sort());
    expect(done.batches).toHaveLength(ALL.length);
    expect(await manifestsOf(runId)).toHaveLength(ALL.length);
    expect(logs.filter((l) => l.includes('acknowledged without extracting'))).toHaveLength(1);
    expect(await queueTexts(QUEUES.backfillExtract)).toEqual([]);
    expect(await queueTexts(`${QUEUES.backfillExtract}-poison`)).toEqual([]);

    logs = [];
    await (await queue(QUEUES.backfillExtract)).sendMessage(encodeMessage(message as object));
    await host.drain(500);
    expect(logs.some((l) => l.includes('acknowledged without extracting') && l.includes('the run is already succeeded'))).toBe(true);
    expect(await runState(runId)).toEqual(done);
    expect(await manifestsOf(runId)).toHaveLength(ALL.length);
  });

  it('of two deliveries working at once, one extracts and the other does nothing', async () => {
    const { runId, message } = await acceptBackfill({ from: '2026-04-01', to: '2026-04-20', entities: ['clientes', 'pedidos'] });
    await (await queue(QUEUES.backfillExtract)).clearMessages();
    const ctx = await pipelineContext(silentLogger);
    const parsed = parseBackfillExtract(message);
    const outcomes = await Promise.all([extractBackfill(ctx, parsed), extractBackfill(ctx, parsed)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['extracted', 'ignored']);
    await host.drain(500);
    const done = await runState(runId);
    expect(done).toMatchObject({ status: 'succeeded' });
    expect(done.batches.map((b) => b.entity).sort()).toEqual(['clientes', 'pedidos']);
    expect(await manifestsOf(runId)).toHaveLength(2);
  });

  it('refuses a malformed message, and one naming no backfill run, to the poison queue with the reason; nothing is written', async () => {
    const dw = await getDatabase('dw');
    const daily = newRunId();
    await startRun(dw.db, { runId: daily, kind: 'daily' });
    const snapshot = async () => ({
      lease: await dw.db.selectFrom('etl.lease').selectAll().execute(),
      runs: await dw.db.selectFrom('etl.run').selectAll().orderBy('run_id').execute(),
      batches: await dw.db.selectFrom('etl.batch').select('run_id').execute(),
    });
    const before = await snapshot();
    const valid = {
      kind: 'backfill',
      window: { from: '2026-04-01T00:00:00.000Z', to: '2026-04-02T00:00:00.000Z' },
      entities: ['pedidos'],
      requestedAt: new Date().toISOString(),
    };
    const sent = [
      { runId: 'x', kind: 'backfill', window: 'april' },
      { ...valid, runId: newRunId(), entities: ['orders'] },
      { ...valid, runId: '20990101T000000000Z-0dead0' },
      { ...valid, runId: daily },
    ];
    const q = await queue(QUEUES.backfillExtract);
    for (const m of sent) await q.sendMessage(encodeMessage(m));
    await host.drain(300);
    expect(logs.filter((l) => l.includes('malformed message') && l.includes('window: Invalid input'))).toHaveLength(3);
    expect(logs.filter((l) => l.includes('malformed message') && l.includes('entities.0: Invalid option'))).toHaveLength(3);
    expect(logs.filter((l) => l.includes('backfill extract message refused') && l.includes('no such run'))).toHaveLength(3);
    expect(logs.filter((l) => l.includes('backfill extract message refused') && l.includes('the run is a daily run, not a backfill'))).toHaveLength(3);
    expect(await queueTexts(`${QUEUES.backfillExtract}-poison`)).toEqual(sent);
    expect(await queueTexts(QUEUES.backfillExtract)).toEqual([]);
    expect(await snapshot()).toEqual(before);
    await dw.db.deleteFrom('etl.run').where('run_id', '=', daily).execute();
    await (await queue(`${QUEUES.backfillExtract}-poison`)).clearMessages();
  });

  it('a run whose message was not picked up before its lease expired is recovered by the watchdog; the late message extracts nothing', async () => {
    // accepted 10 minutes ago: its lease (RUN_LEASE_MINUTES, 5) expired with no extract having started
    const { runId } = await acceptBackfill({ from: '2026-04-01', to: '2026-04-15', entities: ['pedidos'] }, new Date(Date.now() - 10 * 60_000));
    await host.fireTimer('watchdog');
    const failed = await runState(runId);
    expect(failed).toMatchObject({ kind: 'backfill', status: 'failed', extract: [], batches: [] });
    expect(failed.error).toMatch(/^run presumed dead: its pipeline lease expired at .* without a heartbeat; recovered by run /);

    // the late message, then the watchdog's recovery run through its queues
    await host.drain(500);
    expect(logs.some((l) => l.includes('acknowledged without extracting') && l.includes('the run is already failed'))).toBe(true);
    expect(await runState(runId)).toEqual(failed);
    expect(await manifestsOf(runId)).toEqual([]);
    const dw = await getDatabase('dw');
    const recovery = await dw.db.selectFrom('etl.run').select(['kind', 'status']).where('requested_by', '=', 'watchdog').execute();
    expect(recovery).toEqual([{ kind: 'daily', status: 'succeeded' }]);
    expect((await dw.db.selectFrom('etl.lease').select('holder').execute()).map((l) => l.holder)).toEqual([null]);
  });

  it('a failed extract fails the run once (one PipelineRunFailed, the lease freed); the next delivery extracts nothing', async () => {
    const { runId, message } = await acceptBackfill({ from: '2026-04-01', to: '2026-04-15', entities: ['clientes', 'pedidos'] });
    await (await queue(QUEUES.backfillExtract)).clearMessages();
    const captured = captureTelemetry();
    // a container name storage refuses (400, not transient): the extract cannot write its batch
    const ctx = {
      ...(await pipelineContext(captured.log)),
      telemetry: captured.telemetry,
      store: BatchStore.fromStorageAccount(loadSettings().storage, 'Not_A_Container'),
    };
    const parsed = parseBackfillExtract(message);
    await expect(extractBackfill(ctx, parsed)).rejects.toThrow();
    const failed = await runState(runId);
    expect(failed).toMatchObject({ status: 'failed', batches: [] });
    expect(captured.named(EVENTS.runFailed)).toEqual([
      expect.objectContaining({ properties: expect.objectContaining({ runId, job: expect.any(String), step: 'extract' }) }),
    ]);
    expect(captured.alertLines).toHaveLength(1);
    const dw = await getDatabase('dw');
    expect((await dw.db.selectFrom('etl.lease').select('holder').execute()).map((l) => l.holder)).toEqual([null]);

    // the queue delivers the message again: the run is failed, nothing is extracted or reported
    expect(await extractBackfill(ctx, parsed)).toEqual({ status: 'ignored', reason: 'the run is already failed' });
    expect(captured.named(EVENTS.runFailed)).toHaveLength(1);
    expect(await runState(runId)).toEqual(failed);
  });

  it('sends only statements that have their golden T-SQL (sql/generated/statements): accepting, extracting, a duplicate delivery', async () => {
    const seen = new Set<string>();
    const base = await pipelineContext(silentLogger);
    const ctx = { ...base, dw: capturingDatabase(base.dw, seen), oltp: capturingDatabase(base.oltp, seen) };
    const started = await startBackfill(
      ctx,
      parseBackfillRequest(JSON.stringify({ from: '2026-04-01', to: '2026-04-15', entities: ['pedidos', 'itens_pedido'] }), loadSettings()),
    );
    if (started.status !== 'started') throw new Error('skipped');
    const message = parseBackfillExtract((await queueTexts(QUEUES.backfillExtract)).find((m) => (m as { runId: string }).runId === started.runId));
    await (await queue(QUEUES.backfillExtract)).clearMessages();
    expect((await extractBackfill(ctx, message)).status).toBe('extracted');
    expect(await extractBackfill(ctx, message)).toEqual({ status: 'ignored', reason: 'an earlier delivery already started the extract of this run' });
    await host.drain(500);
    expect((await runState(started.runId)).status).toBe('succeeded');
    expect(seen.size).toBeGreaterThan(10);
    const golden = goldenIdentities();
    expect([...seen].filter((identity) => !golden.has(identity))).toEqual([]);
  });
});
