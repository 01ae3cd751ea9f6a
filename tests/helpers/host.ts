// The local Functions host for a test file: real Azurite, new migrated PGlite databases (copies of
// the test templates, see engines.ts: ~0.5 s each instead of ~4 s for pglite:memory), host.json as
// shipped with retries made fast. stopTestHost() in afterAll restores the environment and deletes
// the databases.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalHost, type LocalHost } from '../../dev/host.js';
import { closeAllDatabases } from '../../shared/db/connections.js';
import { freshPgliteDataDir } from './engines.js';
import { sharedAzurite, stopStorage } from './storage.js';

const saved = { ...process.env };
let host: LocalHost | undefined;
/** what stopTestHost() deletes: the databases' data dirs and host.json's folder */
let cleanups: (() => void)[] = [];

export async function startTestHost(options: {
  container: string;
  maxDequeueCount?: number;
  httpPort?: number;
  log: (line: string) => void;
}): Promise<{ host: LocalHost; connectionString: string }> {
  const { connectionString } = await sharedAzurite();
  const oltp = await freshPgliteDataDir('oltp');
  const dw = await freshPgliteDataDir('dw');
  cleanups = [oltp.remove, dw.remove];
  Object.assign(process.env, {
    AzureWebJobsStorage: connectionString,
    OLTP_CONNECTION_STRING: `pglite:${oltp.dataDir}`,
    DW_CONNECTION_STRING: `pglite:${dw.dataDir}`,
    BLOB_CONTAINER: options.container,
    EXTRACT_SAFETY_LAG_SECONDS: '0',
  });
  const hostJson = JSON.parse(readFileSync('host.json', 'utf8'));
  hostJson.extensions.queues.visibilityTimeout = '00:00:00';
  if (options.maxDequeueCount !== undefined) hostJson.extensions.queues.maxDequeueCount = options.maxDequeueCount;
  const folder = mkdtempSync(join(tmpdir(), 'host-'));
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
  const path = join(folder, 'host.json');
  writeFileSync(path, JSON.stringify(hostJson));
  host = await startLocalHost({ storageConnectionString: connectionString, httpPort: options.httpPort, hostJsonPath: path, log: options.log });
  return { host, connectionString };
}

export async function stopTestHost(): Promise<void> {
  await host?.stop();
  host = undefined;
  await closeAllDatabases();
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  await stopStorage();
  process.env = { ...saved };
}
