// Azurite started by the project itself (dev/azurite.ts), used through the real Azure SDKs.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite } from '../../dev/azurite.js';
import { freshStorage, sharedAzurite, stopStorage, type StorageSet } from '../helpers/storage.js';

afterAll(async () => {
  await stopStorage();
});

/** Resolves when something can listen on the port again. */
const portIsFree = (port: number) =>
  new Promise<boolean>((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });

const blobNames = async (s: StorageSet, base: string) => {
  const names: string[] = [];
  for await (const b of s.container(base).listBlobsFlat()) names.push(b.name);
  return names;
};

describe('Azurite in-process', () => {
  it('stores and returns a blob byte for byte, with its metadata', async () => {
    const s = await freshStorage();
    try {
      const body = gzipSync(Buffer.from('{"id":1,"valor":"12.3400"}\n{"id":2,"valor":"0.0001"}\n'));
      const blob = s.container('raw').getBlockBlobClient('pedidos/2024-03-01/run-1/part-00001.ndjson.gz');
      await blob.uploadData(body, { blobHTTPHeaders: { blobContentType: 'application/x-ndjson', blobContentEncoding: 'gzip' }, metadata: { rows: '2' } });
      const back = await blob.downloadToBuffer();
      expect(back.equals(body)).toBe(true);
      expect(gunzipSync(back).toString('utf8').split('\n').filter(Boolean)).toHaveLength(2);
      const props = await blob.getProperties();
      expect(props.metadata).toEqual({ rows: '2' });
      expect(props.contentLength).toBe(body.length);
      expect(await blobNames(s, 'raw')).toEqual(['pedidos/2024-03-01/run-1/part-00001.ndjson.gz']);
    } finally {
      await s.cleanup();
    }
  });

  it('enqueues and dequeues a base64 message, as the Functions host expects', async () => {
    const s = await freshStorage({ containers: [], queues: ['load'] });
    try {
      const message = { runId: 'r-1', entity: 'pedidos', code: '89e7073266' };
      const queue = s.queue('load');
      await queue.sendMessage(Buffer.from(JSON.stringify(message), 'utf8').toString('base64'));
      const {
        receivedMessageItems: [got],
      } = await queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 30 });
      expect(got).toBeDefined();
      expect(got!.dequeueCount).toBe(1);
      expect(JSON.parse(Buffer.from(got!.messageText, 'base64').toString('utf8'))).toEqual(message);
      // invisible while being processed; gone once deleted
      expect((await queue.receiveMessages()).receivedMessageItems).toHaveLength(0);
      await queue.deleteMessage(got!.messageId, got!.popReceipt);
      expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    } finally {
      await s.cleanup();
    }
  });

  it("isolates two storage sets: neither sees the other's blobs or messages, and cleanup removes only its own", async () => {
    const a = await freshStorage({ queues: ['load'] });
    const b = await freshStorage({ queues: ['load'] });
    try {
      expect(a.containers.raw).not.toBe(b.containers.raw);
      expect(a.queues.load).not.toBe(b.queues.load);
      await a.container('raw').getBlockBlobClient('only-in-a.txt').upload('a', 1);
      await b.container('raw').getBlockBlobClient('only-in-b.txt').upload('b', 1);
      await a.queue('load').sendMessage(Buffer.from('for a').toString('base64'));
      expect(await blobNames(a, 'raw')).toEqual(['only-in-a.txt']);
      expect(await blobNames(b, 'raw')).toEqual(['only-in-b.txt']);
      expect((await b.queue('load').receiveMessages()).receivedMessageItems).toHaveLength(0);
      expect((await a.queue('load').peekMessages()).peekedMessageItems).toHaveLength(1);

      // a queue the code under test creates itself (a poison queue) is cleaned up too
      await a.queueService.getQueueClient(`${a.queues.load}-poison`).create();
      await a.cleanup();
      const containers: string[] = [];
      for await (const c of a.blobService.listContainers()) containers.push(c.name);
      const queues: string[] = [];
      for await (const q of a.queueService.listQueues()) queues.push(q.name);
      expect(containers.filter((n) => n.includes(a.id))).toEqual([]);
      expect(queues.filter((n) => n.includes(a.id))).toEqual([]);
      expect(containers).toContain(b.containers.raw);
      expect(queues).toContain(b.queues.load);
    } finally {
      await b.cleanup();
    }
  });

  it('gives a connection string whose endpoints point at the actual ports', async () => {
    const { connectionString, blobUrl, queueUrl } = await sharedAzurite();
    expect(connectionString).toContain(`BlobEndpoint=${blobUrl};`);
    expect(connectionString).toContain(`QueueEndpoint=${queueUrl};`);
    expect(blobUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    const info = await BlobServiceClient.fromConnectionString(connectionString).getAccountInfo();
    expect(info.accountKind).toBeDefined();
  });

  it('frees its ports on stop(), so a second start on the same ports works', async () => {
    const first = await startAzurite({ inMemory: true });
    const { blobPort, queuePort } = first;
    try {
      await BlobServiceClient.fromConnectionString(first.connectionString).getContainerClient('raw').create();
    } finally {
      await first.stop();
    }
    expect(await portIsFree(blobPort)).toBe(true);
    expect(await portIsFree(queuePort)).toBe(true);

    const second = await startAzurite({ inMemory: true, blobPort, queuePort });
    try {
      expect(second.blobPort).toBe(blobPort);
      // a new in-memory instance starts empty
      const container = BlobServiceClient.fromConnectionString(second.connectionString).getContainerClient('raw');
      expect(await container.exists()).toBe(false);
      await container.create();
    } finally {
      await second.stop();
    }
  });

  it('keeps blobs and messages across a restart when given a folder', async () => {
    const location = mkdtempSync(join(tmpdir(), 'azurite-'));
    try {
      const first = await startAzurite({ location });
      try {
        const container = BlobServiceClient.fromConnectionString(first.connectionString).getContainerClient('raw');
        await container.create();
        await container.uploadBlockBlob('kept.txt', 'kept', 4);
        const queue = QueueServiceClient.fromConnectionString(first.connectionString).getQueueClient('load');
        await queue.create();
        await queue.sendMessage(Buffer.from('kept').toString('base64'));
      } finally {
        await first.stop();
      }

      const second = await startAzurite({ location });
      try {
        const blob = BlobServiceClient.fromConnectionString(second.connectionString).getContainerClient('raw').getBlockBlobClient('kept.txt');
        expect((await blob.downloadToBuffer()).toString()).toBe('kept');
        const peeked = await QueueServiceClient.fromConnectionString(second.connectionString).getQueueClient('load').peekMessages();
        expect(peeked.peekedMessageItems.map((m) => Buffer.from(m.messageText, 'base64').toString())).toEqual(['kept']);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(location, { recursive: true, force: true });
    }
  });
});
