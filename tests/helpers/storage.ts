// Real Azure Storage for tests: one in-memory Azurite per test file, started lazily on the first
// freshStorage() and stopped by stopStorage() (call it in afterAll). Each freshStorage() call gets
// its own containers and queues, named <base>-<id> with an id unique to the call, so tests in a
// file never see each other's blobs or messages; cleanup() deletes everything carrying that id
// (including queues the code under test created itself, such as <queue>-poison).
//
//   const storage = await freshStorage({ containers: ['raw'], queues: ['load'] });
//   storage.containers.raw  // 'raw-t3f9c2a1b'  (created)
//   storage.container('raw').getBlockBlobClient('x.ndjson.gz')
//   await storage.cleanup();
import { randomBytes } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { startAzurite, type Azurite } from '../../dev/azurite.js';

export interface StorageSet {
  /** unique to this set; part of every container and queue name it owns */
  readonly id: string;
  readonly connectionString: string;
  readonly blobService: BlobServiceClient;
  readonly queueService: QueueServiceClient;
  /** base name -> actual (created) container name */
  readonly containers: Readonly<Record<string, string>>;
  /** base name -> actual (created) queue name */
  readonly queues: Readonly<Record<string, string>>;
  /** `<base>-<id>`: the name this set uses for a base name (created or not) */
  name(base: string): string;
  container(base: string): ContainerClient;
  queue(base: string): QueueClient;
  /** deletes every container and queue whose name carries this set's id */
  cleanup(): Promise<void>;
}

export interface FreshStorageOptions {
  /** containers to create (default ['raw']) */
  containers?: readonly string[];
  /** queues to create (default none) */
  queues?: readonly string[];
}

let azurite: Promise<Azurite> | undefined;

/** The file's shared in-memory Azurite, started on first use. */
export function sharedAzurite(): Promise<Azurite> {
  azurite ??= startAzurite({ inMemory: true });
  return azurite;
}

export async function freshStorage(options: FreshStorageOptions = {}): Promise<StorageSet> {
  const { connectionString } = await sharedAzurite();
  // container and queue names: lowercase letters, digits and single hyphens, 3-63 characters
  const id = `t${randomBytes(5).toString('hex')}`;
  const blobService = BlobServiceClient.fromConnectionString(connectionString);
  const queueService = QueueServiceClient.fromConnectionString(connectionString);
  const name = (base: string) => `${base}-${id}`;
  const containers: Record<string, string> = {};
  const queues: Record<string, string> = {};
  for (const base of options.containers ?? ['raw']) {
    containers[base] = name(base);
    await blobService.getContainerClient(name(base)).create();
  }
  for (const base of options.queues ?? []) {
    queues[base] = name(base);
    await queueService.getQueueClient(name(base)).create();
  }
  return {
    id,
    connectionString,
    blobService,
    queueService,
    containers,
    queues,
    name,
    container: (base) => blobService.getContainerClient(name(base)),
    queue: (base) => queueService.getQueueClient(name(base)),
    async cleanup() {
      for await (const c of blobService.listContainers({ prefix: '' })) {
        if (c.name.includes(`-${id}`)) await blobService.deleteContainer(c.name);
      }
      for await (const q of queueService.listQueues()) {
        if (q.name.includes(`-${id}`)) await queueService.deleteQueue(q.name);
      }
    },
  };
}

/** Stops the file's Azurite (if it was started); call from afterAll. */
export async function stopStorage(): Promise<void> {
  const running = azurite;
  azurite = undefined;
  if (running) await (await running).stop();
}
