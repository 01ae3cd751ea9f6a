// Telemetry end to end: the real applicationinsights SDK in a pipeline process (a child, so it can
// trust the fake endpoint's self-signed certificate through NODE_EXTRA_CA_CERTS) sends its
// envelopes to an in-process HTTPS ingestion endpoint. A successful run sends its start, steps,
// metrics and success; a run whose fact load fails on every delivery sends one PipelineRunFailed
// (with the exception, one alert line and one Teams post) after retries that sent only
// PipelineStepRetried, and its message goes to poison; no envelope carries the database password
// or the storage key; with the endpoint down the run still succeeds, within seconds of its time.
// Databases on the PostgreSQL server (TEST_POSTGRES_URL): its connection string carries a password.
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DEV_ACCOUNT_KEY, startAzurite, type Azurite } from '../../dev/azurite.js';
import type { Database } from '../../shared/db/database.js';
import { migrate } from '../../shared/db/migrate.js';
import { openDatabase } from '../../shared/db/open.js';
import type { OltpTables, WarehouseTables } from '../../shared/db/schema/index.js';
import { MAX_DEQUEUE_COUNT } from '../../shared/pipeline/messages.js';
import type { RunReport } from '../../shared/pipeline/run-report.js';
import { seedBase } from '../../shared/seed/base.js';
import { EVENT_SCHEMA, EVENTS, METRICS, type EventName } from '../../shared/telemetry/events.js';
import { fastHostJson, startChild, stopAllChildren } from '../helpers/fault-child.js';
import { customEvents, metrics, startFakeIngestion, type FakeIngestion } from '../helpers/fake-ingestion.js';

const adminUrl = process.env.TEST_POSTGRES_URL;
// the password the connection strings carry: the server trusts local logins, so any password works
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

interface ChildRun {
  report: RunReport;
  ms: number;
  output: string;
}

(adminUrl ? describe : describe.skip)('Application Insights telemetry (real SDK, fake HTTPS ingestion; TEST_POSTGRES_URL)', () => {
  let ingestion: FakeIngestion;
  let azurite: Azurite;
  let azuriteDir: string;
  let hostJson: ReturnType<typeof fastHostJson>;
  const databases: string[] = [];
  const open: Database[] = [];

  beforeAll(async () => {
    ingestion = await startFakeIngestion();
    azuriteDir = mkdtempSync(join(tmpdir(), 'telemetry-azurite-'));
    azurite = await startAzurite({ location: azuriteDir });
    hostJson = fastHostJson();
  });

  afterEach(async () => {
    await stopAllChildren();
    while (open.length)
      await open
        .pop()!
        .close()
        .catch(() => undefined);
  });

  afterAll(async () => {
    await ingestion?.close();
    await azurite?.stop();
    hostJson?.remove();
    rmSync(azuriteDir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  /** A seeded source and an empty warehouse of their own, with a password in their URLs. */
  async function freshPair(): Promise<{ oltpUrl: string; dwUrl: string }> {
    const urls: string[] = [];
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    for (const _ of ['oltp', 'dw']) {
      const name = `t_${randomBytes(6).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${name}`);
      databases.push(name);
      const url = new URL(adminUrl!);
      url.password = PASSWORD;
      url.pathname = `/${name}`;
      urls.push(url.toString());
    }
    await admin.end();
    const oltp = (await openDatabase({ engine: 'postgres', url: urls[0]! })) as Database<OltpTables>;
    const dw = (await openDatabase({ engine: 'postgres', url: urls[1]! })) as Database<WarehouseTables>;
    open.push(oltp, dw);
    await migrate(oltp, 'oltp');
    await migrate(dw, 'dw');
    await seedBase(oltp, { scale: 0.03, seed: 11, asOf: new Date(Date.now() - 86_400_000) });
    return { oltpUrl: urls[0]!, dwUrl: urls[1]! };
  }

  async function runChild(env: Record<string, string>): Promise<ChildRun> {
    const { oltpUrl, dwUrl } = await freshPair();
    const child = startChild('tests/helpers/telemetry-child.ts', {
      OLTP_CONNECTION_STRING: oltpUrl,
      DW_CONNECTION_STRING: dwUrl,
      AzureWebJobsStorage: azurite.connectionString,
      BLOB_CONTAINER: `telemetry-${randomBytes(4).toString('hex')}`,
      TELEMETRY_HOST_JSON: hostJson.path,
      NODE_EXTRA_CA_CERTS: ingestion.caFile,
      ...env,
    });
    await child.exited(150_000);
    const output = child.output();
    const line = output.split('\n').find((l) => l.startsWith('TELEMETRY-REPORT '));
    if (!line) throw new Error(`the child printed no report:\n${output.slice(-4000)}`);
    const ms = Number(/TELEMETRY-MS (\d+)/.exec(output)?.[1]);
    return { report: JSON.parse(line.slice('TELEMETRY-REPORT '.length)) as RunReport, ms, output };
  }

  const ofRun = (runId: string) => customEvents(ingestion.envelopes).filter((e) => e.properties.runId === runId);
  const named = (events: ReturnType<typeof ofRun>, name: EventName) => events.filter((e) => e.name === name);
  let succeededMs = 0;

  it('a successful run sends its start, one event per step and entity, row metrics, its duration, the freshness lag and its success', async () => {
    const run = await runChild({ APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString });
    expect(run.report.status).toBe('succeeded');
    succeededMs = run.ms;
    const events = ofRun(run.report.runId);

    const [started] = named(events, EVENTS.runStarted);
    expect(started?.properties).toMatchObject({ job: 'daily-elt', runId: run.report.runId, kind: 'daily' });
    // one PipelineStepCompleted per step of the run report, with its counts
    const steps = named(events, EVENTS.stepCompleted);
    expect(steps.map((s) => `${s.properties.step}/${s.properties.entity}`).sort()).toEqual(run.report.steps.map((s) => `${s.step}/${s.entity}`).sort());
    for (const s of run.report.steps.filter((x) => x.step !== 'extract')) {
      const sent = steps.find((e) => e.properties.step === s.step && e.properties.entity === s.entity)!;
      expect(sent.measurements).toMatchObject({ rowsRead: s.read, rowsLoaded: s.loaded, rowsRejected: s.rejected });
    }
    const [succeeded] = named(events, EVENTS.runSucceeded);
    expect(succeeded?.properties).toMatchObject({ job: 'daily-elt', runId: run.report.runId, startedAt: run.report.startedAt });
    const loaded = run.report.steps.filter((s) => s.step !== 'extract').reduce((n, s) => n + s.loaded, 0);
    expect(succeeded?.measurements.rowsLoaded).toBe(loaded);
    expect(succeeded?.measurements.durationMs).toBeGreaterThan(0);
    expect(named(events, EVENTS.runFailed)).toEqual([]);

    const sentMetrics = metrics(ingestion.envelopes).filter((m) => m.properties.runId === run.report.runId);
    const factsLoaded = sentMetrics.filter((m) => m.name === METRICS.rowsLoaded && m.properties.entity === 'itens_pedido');
    expect(factsLoaded.map((m) => m.value)).toEqual([run.report.steps.find((s) => s.step === 'facts' && s.entity === 'itens_pedido')!.loaded]);
    expect(sentMetrics.some((m) => m.name === METRICS.rowsRejected)).toBe(true);
    expect(sentMetrics.some((m) => m.name === METRICS.runDuration && m.value > 0)).toBe(true);
    // the seed's source clock is now; its newest watermark a little behind it
    expect(sentMetrics.find((m) => m.name === METRICS.freshnessLag)?.value).toBeGreaterThanOrEqual(0);
  }, 200_000);

  it('a fact load that fails on every delivery: retries send only PipelineStepRetried, then exactly one PipelineRunFailed with the exception, one alert line and one Teams post', async () => {
    const posts: string[] = [];
    const teams: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        posts.push(body);
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => teams.listen(0, '127.0.0.1', r));
    try {
      const port = (teams.address() as { port: number }).port;
      const run = await runChild({
        APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
        TELEMETRY_FAIL_FACTS: 'always',
        ALERT_TEAMS_WEBHOOK_URL: `http://127.0.0.1:${port}/workflows/x?sig=SECRET-SIG`,
      });
      expect(run.report.status).toBe('failed');
      expect(run.output).toContain('moved to load-facts-poison');
      const events = ofRun(run.report.runId);

      const retried = named(events, EVENTS.stepRetried);
      expect(retried.map((e) => [e.properties.step, e.properties.final, e.properties.attempt])).toEqual(
        Array.from({ length: MAX_DEQUEUE_COUNT - 1 }, (_, i) => ['facts', 'false', String(i + 1)]),
      );
      const failed = named(events, EVENTS.runFailed);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.properties).toMatchObject({
        job: 'daily-elt',
        runId: run.report.runId,
        step: 'facts',
        final: 'true',
        attempt: String(MAX_DEQUEUE_COUNT),
      });
      expect(failed[0]!.properties.error).toContain('injected: the fact load fails on every delivery');
      expect(Date.parse(failed[0]!.properties.finishedAt!)).toBeGreaterThan(Date.parse(run.report.startedAt));
      expect(named(events, EVENTS.messagePoisoned).map((e) => e.properties.queue)).toEqual(['load-facts-poison']);

      const exceptions = ingestion.envelopes.filter((e) => e.data.baseType === 'ExceptionData' && JSON.stringify(e.data.baseData).includes(run.report.runId));
      expect(exceptions.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(exceptions[0])).toContain('injected: the fact load fails on every delivery');

      // what ops receive: one alert line in the log, one chat message, both naming the run
      expect(run.output.match(/ALERT pipeline run failed: /g)).toHaveLength(1);
      expect(run.output).toMatch(new RegExp(`ALERT pipeline run failed: job=daily-elt run=${run.report.runId} step=facts`));
      expect(posts).toHaveLength(1);
      expect(posts[0]).toContain(run.report.runId);
      expect(run.output).not.toContain('SECRET-SIG');
    } finally {
      teams.closeAllConnections();
      await new Promise((r) => teams.close(r));
    }
  }, 200_000);

  it('a run that cannot start (its warehouse unreachable when the timer fires) gets a run id, its PipelineRunFailed and the alert line', async () => {
    const { oltpUrl } = await freshPair();
    const unreachable = new URL(adminUrl!);
    unreachable.password = PASSWORD;
    unreachable.port = String(await closedPort());
    const before = customEvents(ingestion.envelopes).length;
    const child = startChild('tests/helpers/telemetry-child.ts', {
      OLTP_CONNECTION_STRING: oltpUrl,
      DW_CONNECTION_STRING: unreachable.toString(),
      AzureWebJobsStorage: azurite.connectionString,
      TELEMETRY_ONLY_FIRE: '1',
      NODE_EXTRA_CA_CERTS: ingestion.caFile,
      APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
    });
    await child.exited(150_000);
    const failed = customEvents(ingestion.envelopes)
      .slice(before)
      .filter((e) => e.name === EVENTS.runFailed);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.properties).toMatchObject({ job: 'daily-elt', step: 'start', final: 'true' });
    expect(failed[0]!.properties.runId).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]+$/);
    expect(child.output()).toContain(`ALERT pipeline run failed: job=daily-elt run=${failed[0]!.properties.runId} step=start`);
    expect(child.output()).not.toContain(PASSWORD);
  }, 200_000);

  it('every envelope sent so far follows the contract and carries neither the database password nor the storage key', () => {
    expect(ingestion.envelopes.length).toBeGreaterThan(0);
    const everything = ingestion.bodies.join('\n');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(DEV_ACCOUNT_KEY);
    for (const e of customEvents(ingestion.envelopes)) {
      const schema = EVENT_SCHEMA[e.name as EventName];
      expect(schema).toBeDefined();
      expect(Object.keys(e.properties).filter((k) => !(schema.properties as readonly string[]).includes(k))).toEqual([]);
      expect(Object.keys(e.measurements).filter((k) => !(schema.measurements as readonly string[]).includes(k))).toEqual([]);
    }
  });

  it('with the ingestion endpoint down the run still succeeds, within a few seconds of its time with the endpoint up', async () => {
    const port = await closedPort();
    const run = await runChild({
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-4000-8000-000000000002;IngestionEndpoint=https://127.0.0.1:${port}/`,
    });
    expect(run.report.status).toBe('succeeded');
    expect(succeededMs).toBeGreaterThan(0);
    // each handler's flush is bounded (3 s, then 0.5 s once one timed out): a dead endpoint costs seconds, not minutes
    expect(run.ms - succeededMs).toBeLessThan(10_000);
  }, 200_000);
});
