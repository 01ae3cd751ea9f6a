// Azurite (the Azure Storage emulator) started by the project itself, in-process: Blob and Queue
// services on 127.0.0.1 with the well-known development account (devstoreaccount1).
//
//   import { startAzurite } from './dev/azurite.js';
//   const azurite = await startAzurite({ inMemory: true });   // random free ports
//   ... new BlobServiceClient / QueueServiceClient from azurite.connectionString ...
//   await azurite.stop();
//
// As a script, `tsx dev/azurite.ts` serves on 10000/10001 (the emulator's usual ports) with data in
// .data/azurite and prints the connection string until Ctrl-C. Options: --location <folder>,
// --in-memory, --blob-port <n>, --queue-port <n>.
//
// Why the deep imports: azurite's package entry is its VS Code extension (it requires 'vscode'),
// so the servers and their configuration classes are loaded from azurite/dist/src directly. They
// are CommonJS without type declarations; the small interfaces below are the part we use.
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** The emulator's fixed development account (public, documented by Microsoft; not a secret). */
export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const DEFAULT_LOCATION = '.data/azurite';

export interface AzuriteOptions {
  /** folder for the persisted data (default .data/azurite); ignored when inMemory */
  location?: string;
  /** keep everything in memory (tests): nothing is written to disk */
  inMemory?: boolean;
  /** 0 = a random free port (default 0) */
  blobPort?: number;
  queuePort?: number;
  /** listen address (default 127.0.0.1) */
  host?: string;
}

export interface Azurite {
  /** connection string for @azure/storage-blob and @azure/storage-queue, endpoints on the actual ports */
  readonly connectionString: string;
  /** e.g. http://127.0.0.1:10000/devstoreaccount1 */
  readonly blobUrl: string;
  readonly queueUrl: string;
  readonly blobPort: number;
  readonly queuePort: number;
  /** closes both services and frees their ports; in memory, the data is discarded */
  stop(): Promise<void>;
}

// --- the slice of azurite's CommonJS API we use ----------------------------------------------------

interface AzuriteServer {
  readonly httpServer: Server;
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}
type PersistenceLocation = { locationId: string; locationPath: string; maxConcurrency: number };
/** BlobConfiguration and QueueConfiguration share this positional constructor. */
type ConfigurationClass = new (
  host: string,
  port: number,
  keepAliveTimeout: number,
  metadataDBPath: string,
  extentDBPath: string,
  persistencePathArray: PersistenceLocation[],
  enableAccessLog: boolean,
  accessLogWriteStream: undefined,
  enableDebugLog: boolean,
  debugLogFilePath: undefined,
  loose: boolean,
  skipApiVersionCheck: boolean,
  cert: string,
  key: string,
  pwd: string,
  oauth: undefined,
  disableProductStyleUrl: boolean,
  isMemoryPersistence: boolean,
  memoryStore: unknown,
) => unknown;
type ServerClass = new (configuration: unknown) => AzuriteServer;

const require = createRequire(import.meta.url);
const load = <T>(path: string): T => (require(`azurite/dist/src/${path}`) as { default: T }).default;

function loadAzurite() {
  const memory = require('azurite/dist/src/common/persistence/MemoryExtentStore.js') as {
    MemoryExtentChunkStore: new (sizeLimit?: number) => unknown;
  };
  const telemetry = require('azurite/dist/src/common/Telemetry.js') as { AzuriteTelemetryClient: { enableTelemetry: boolean } };
  // In-process servers never initialise Azurite's telemetry client (only its CLI does); make the
  // "off" explicit so no request is ever reported to Microsoft from tests or local runs.
  telemetry.AzuriteTelemetryClient.enableTelemetry = false;
  return {
    BlobServer: load<ServerClass>('blob/BlobServer.js'),
    BlobConfiguration: load<ConfigurationClass>('blob/BlobConfiguration.js'),
    QueueServer: load<ServerClass>('queue/QueueServer.js'),
    QueueConfiguration: load<ConfigurationClass>('queue/QueueConfiguration.js'),
    MemoryExtentChunkStore: memory.MemoryExtentChunkStore,
  };
}

function configuration(
  Configuration: ConfigurationClass,
  service: 'blob' | 'queue',
  host: string,
  port: number,
  location: string | null,
  memoryStore: unknown,
): unknown {
  const dir = location ?? '.';
  return new Configuration(
    host,
    port,
    5, // keep-alive timeout (s), Azurite's default
    join(dir, `__azurite_db_${service}__.json`),
    join(dir, `__azurite_db_${service}_extent__.json`),
    [{ locationId: 'Default', locationPath: join(dir, `__${service}storage__`), maxConcurrency: service === 'blob' ? 50 : 1 }],
    false, // access log: off (one line per request otherwise)
    undefined,
    false, // debug log: off
    undefined,
    // loose: ignore headers Azurite does not implement instead of failing the request
    true,
    // the SDKs send a newer x-ms-version than a given Azurite release may know: accept it
    true,
    '',
    '',
    '',
    undefined,
    false,
    location === null,
    memoryStore,
  );
}

function portOf(server: AzuriteServer): number {
  const address = server.httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('Azurite is not listening on a TCP port');
  return address.port;
}

/** Closes a server and waits until its port is really released. */
async function closeServer(server: AzuriteServer): Promise<void> {
  const http = server.httpServer;
  const closed = http.listening ? once(http, 'close') : Promise.resolve();
  await server.close();
  // Azurite's close() asks the (stoppable) HTTP server to stop but does not wait for it.
  http.closeAllConnections();
  await closed;
}

export function connectionStringFor(blobUrl: string, queueUrl: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT_NAME};AccountKey=${DEV_ACCOUNT_KEY};` + `BlobEndpoint=${blobUrl};QueueEndpoint=${queueUrl};`;
}

/** Starts Azurite's Blob and Queue services in this process. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const { BlobServer, BlobConfiguration, QueueServer, QueueConfiguration, MemoryExtentChunkStore } = loadAzurite();
  const host = options.host ?? '127.0.0.1';
  const location = options.inMemory ? null : resolve(options.location ?? DEFAULT_LOCATION);
  if (location !== null) mkdirSync(location, { recursive: true });
  // In memory, Azurite keeps blob contents in a process-wide store by default, and clean() of one
  // instance wipes it for all; each instance gets its own store so instances never share data.
  const memoryStore = location === null ? new MemoryExtentChunkStore() : undefined;

  const blob = new BlobServer(configuration(BlobConfiguration, 'blob', host, options.blobPort ?? 0, location, memoryStore));
  const queue = new QueueServer(configuration(QueueConfiguration, 'queue', host, options.queuePort ?? 0, location, memoryStore));
  await blob.start();
  try {
    await queue.start();
  } catch (e) {
    await closeServer(blob);
    throw e;
  }

  const blobPort = portOf(blob);
  const queuePort = portOf(queue);
  const blobUrl = `http://${host}:${blobPort}/${DEV_ACCOUNT_NAME}`;
  const queueUrl = `http://${host}:${queuePort}/${DEV_ACCOUNT_NAME}`;
  let stopping: Promise<void> | undefined;
  return {
    connectionString: connectionStringFor(blobUrl, queueUrl),
    blobUrl,
    queueUrl,
    blobPort,
    queuePort,
    stop() {
      stopping ??= (async () => {
        await Promise.all([closeServer(blob), closeServer(queue)]);
        // in memory: drop the data now rather than at garbage collection
        if (location === null) await Promise.all([blob.clean(), queue.clean()]);
      })();
      return stopping;
    },
  };
}

// --- as a script: tsx dev/azurite.ts ------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      location: { type: 'string', default: DEFAULT_LOCATION },
      'in-memory': { type: 'boolean', default: false },
      'blob-port': { type: 'string', default: '10000' },
      'queue-port': { type: 'string', default: '10001' },
    },
    strict: true,
  });
  const port = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number, got '${v}'`);
    return n;
  };
  const azurite = await startAzurite({
    location: values.location,
    inMemory: values['in-memory'],
    blobPort: port('blob-port', values['blob-port']),
    queuePort: port('queue-port', values['queue-port']),
  });
  console.log(`Azurite Blob  ${azurite.blobUrl}`);
  console.log(`Azurite Queue ${azurite.queueUrl}`);
  console.log(`Data: ${values['in-memory'] ? 'in memory' : resolve(values.location)}`);
  console.log(`\nAzureWebJobsStorage=${azurite.connectionString}\n`);
  console.log('Press Ctrl-C to stop.');
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    // started by dev/azurite-process.ts: the IPC channel closes when the parent ends, however it ends
    if (process.send) process.once('disconnect', done);
  });
  await azurite.stop();
  console.log('Azurite stopped.');
  // an open IPC channel would keep this process alive
  if (process.connected) process.disconnect();
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
