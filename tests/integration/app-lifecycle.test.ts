// The app's shutdown (functions/app-lifecycle.ts): under the real host its appTerminate hook
// flushes the telemetry still buffered and closes the database pools. A child process provides
// '@azure/functions-core' as the Node worker does (as tests/integration/local-host.test.ts), loads
// the file, buffers an event in the Application Insights client (the fake ingestion endpoint of
// tests/helpers/fake-ingestion.ts), opens the warehouse, runs the hook the file registered and
// exits at once: the event arrives only if the hook flushed it.
import { spawn } from 'node:child_process';
import { getDatabase } from '../../shared/db/connections.js';
import { shutdownApp } from '../../functions/app-lifecycle.js';
import { customEvents, startFakeIngestion } from '../helpers/fake-ingestion.js';
import { freshPgliteDataDir } from '../helpers/engines.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('app shutdown', () => {
  it('never throws when nothing is open, and may run twice', async () => {
    await expect(shutdownApp()).resolves.toBeUndefined();
    await expect(shutdownApp()).resolves.toBeUndefined();
  });

  it('closes the open databases: the next use opens a fresh one', async () => {
    const dir = await freshPgliteDataDir('dw');
    try {
      process.env.DW_CONNECTION_STRING = `pglite:${dir.dataDir}`;
      const before = await getDatabase('dw');
      expect(await before.db.selectFrom('etl.lease').select('name').execute()).toEqual([{ name: 'pipeline' }]);
      await shutdownApp();
      await expect(before.db.selectFrom('etl.lease').select('name').execute()).rejects.toThrow();
      const after = await getDatabase('dw');
      expect(after).not.toBe(before);
      expect(await after.db.selectFrom('etl.lease').select('name').execute()).toEqual([{ name: 'pipeline' }]);
      await shutdownApp();
    } finally {
      dir.remove();
    }
  });

  it('under the worker, the registered appTerminate hook flushes buffered telemetry and closes the pools before the process exits', async () => {
    const ingestion = await startFakeIngestion();
    const dir = await freshPgliteDataDir('dw');
    try {
      const script = `
        import Module from 'node:module';
        const hooks = [];
        const core = {
          version: 'test', hostVersion: 'test', setProgrammingModel() {},
          registerFunction: () => ({ dispose() {} }),
          registerHook: (name, callback) => (hooks.push({ name, callback }), { dispose() {} }),
        };
        Module.prototype.require = new Proxy(Module.prototype.require, {
          apply: (target, self, args) => (args[0] === '@azure/functions-core' ? core : Reflect.apply(target, self, args)),
        });
        await import('./functions/app-lifecycle.ts');
        const { telemetrySink } = await import('./shared/telemetry/app-insights.ts');
        const { getDatabase } = await import('./shared/db/connections.ts');
        (await telemetrySink(console)).event('ShutdownProbe', { probe: 'buffered' });
        const dw = await getDatabase('dw');
        await Promise.all(hooks.filter((h) => h.name === 'appTerminate').map((h) => h.callback({})));
        const closed = await dw.db.selectFrom('etl.lease').select('name').execute().then(() => false, () => true);
        process.stdout.write('HOOKS ' + JSON.stringify({ hooks: hooks.map((h) => h.name), closed }) + '\\n');
        process.exit(0);
      `;
      // asynchronously: the fake ingestion endpoint answers from this process's event loop
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: {
          ...process.env,
          DW_CONNECTION_STRING: `pglite:${dir.dataDir}`,
          APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
          APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
          NODE_EXTRA_CA_CERTS: ingestion.caFile,
        },
      });
      const run = { stdout: '', stderr: '' };
      child.stdout.on('data', (c: Buffer) => (run.stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (run.stderr += c.toString('utf8')));
      await new Promise((done) => child.once('exit', done));
      const line = run.stdout.split('\n').find((l) => l.startsWith('HOOKS '));
      if (!line) throw new Error(`the child printed no result:\n${run.stdout}${run.stderr}`);
      expect(JSON.parse(line.slice('HOOKS '.length))).toEqual({ hooks: ['appTerminate'], closed: true });
      expect(customEvents(ingestion.envelopes).filter((e) => e.name === 'ShutdownProbe')).toEqual([
        expect.objectContaining({ properties: expect.objectContaining({ probe: 'buffered' }) }),
      ]);
    } finally {
      dir.remove();
      await ingestion.close();
    }
  });
});
