// A load step reads a daily run's parts ahead of their turn (BatchStore.readingAhead): every part
// downloads at once instead of one round trip per entity. What users care about: the bytes are
// the batch's, each part is still refused when it does not match its checksum, and a full load's
// parts are not all held in memory at once.
import { BatchIntegrityError, BatchStore } from '../../shared/storage/batch-store.js';
import type { Manifest } from '../../shared/storage/batch-manifest.js';
import { freshStorage, stopStorage, type StorageSet } from '../helpers/storage.js';

afterAll(() => stopStorage());

const AT = new Date('2026-11-30T00:00:00.000Z');

describe('reading a batch ahead', () => {
  let storage: StorageSet;
  let store: BatchStore;
  let manifest: Manifest;
  beforeEach(async () => {
    storage = await freshStorage({ containers: ['raw'] });
    store = new BatchStore(storage.container('raw'));
    await store.ensureContainer();
    const written = await store.writeBatch(
      { runId: 'r1', entity: 'categorias', runDate: AT, window: { from: null, to: AT.toISOString() }, columns: ['id', 'nome'] },
      (async function* () {
        for (let id = 1; id <= 7; id++) yield { id, nome: `categoria ${id}` };
      })(),
      { maxRows: 3, maxBytes: 1 << 20 },
    );
    manifest = written.manifest;
    expect(manifest.parts).toHaveLength(3);
  });

  const texts = async (s: BatchStore) => Promise.all(manifest.parts.map(async (p) => (await s.readPartText(p)).toString('utf8')));
  const remove = () => Promise.all(manifest.parts.map((p) => storage.container('raw').deleteBlob(p.path)));

  it('gives the same bytes, downloaded when asked for: the parts are read even once the blobs are gone', async () => {
    const direct = await texts(store);
    expect(direct.join('')).toContain('categoria 7');
    const ahead = store.readingAhead(manifest.parts);
    expect(ahead).not.toBe(store);
    // local Blob storage answers a few kilobytes in milliseconds; a second is far more than enough
    await new Promise((r) => setTimeout(r, 1000));
    await remove();
    expect(await texts(ahead)).toEqual(direct);
    // the store it came from holds nothing: its reads go to Blob storage
    await expect(store.readPartText(manifest.parts[0]!)).rejects.toThrow(BatchIntegrityError);
  });

  it('still refuses a part that does not match its checksum', async () => {
    const [first] = manifest.parts;
    // a part replaced behind the pipeline's back (blobs are written once; this bypasses that)
    await storage.container('raw').getBlockBlobClient(first!.path).uploadData(Buffer.from('not the part'));
    const ahead = store.readingAhead(manifest.parts);
    await expect(ahead.readPartText(first!)).rejects.toThrow(/checksum mismatch/);
    // the other parts are intact and read
    expect((await ahead.readPartText(manifest.parts[1]!)).toString('utf8')).toContain('categoria 4');
  });

  it('leaves parts above the byte limit to be read one by one (a full load): nothing is held ahead', async () => {
    const bytes = manifest.parts.reduce((n, p) => n + p.bytes, 0);
    const notAhead = store.readingAhead(manifest.parts, bytes - 1);
    const nothing = store.readingAhead([]);
    await new Promise((r) => setTimeout(r, 200));
    await remove();
    // had anything been downloaded ahead, these reads would succeed from memory
    await expect(texts(notAhead)).rejects.toThrow(BatchIntegrityError);
    await expect(nothing.readPartText(manifest.parts[0]!)).rejects.toThrow(BatchIntegrityError);
  });
});
