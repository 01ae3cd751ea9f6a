// The local Functions host for a test file: real Azurite, in-memory databases, host.json as
// shipped with retries made fast. stopTestHost() in afterAll restores the environment.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalHost, type LocalHost } from '../../dev/host.js';
import { closeAllDatabases } from '../../shared/db/connections.js';
import { sharedAzurite, stopStorage } from './storage.js';

const saved = { ...process.env };
let host: LocalHost | undefined;

export async function startTestHost(options: {
  container: string;
  maxDequeueCount?: number;
  httpPort?: number;
  log: (line: string) => void;
}): Promise<{ host: LocalHost; connectionString: string }> {
  const { connectionString } = await sharedAzurite();
  Object.assign(process.env, {
    AzureWebJobsStorage: connectionString,
    OLTP_CONNECTION_STRING: 'pglite:memory',
    DW_CONNECTION_STRING: 'pglite:memory',
    BLOB_CONTAINER: options.container,
    EXTRACT_SAFETY_LAG_SECONDS: '0',
  });
  const hostJson = JSON.parse(readFileSync('host.json', 'utf8'));
  hostJson.extensions.queues.visibilityTimeout = '00:00:00';
  if (options.maxDequeueCount !== undefined) hostJson.extensions.queues.maxDequeueCount = options.maxDequeueCount;
  const path = join(mkdtempSync(join(tmpdir(), 'host-')), 'host.json');
  writeFileSync(path, JSON.stringify(hostJson));
  host = await startLocalHost({ storageConnectionString: connectionString, httpPort: options.httpPort, hostJsonPath: path, log: options.log });
  return { host, connectionString };
}

export async function stopTestHost(): Promise<void> {
  await host?.stop();
  host = undefined;
  await closeAllDatabases();
  await stopStorage();
  process.env = { ...saved };
}
