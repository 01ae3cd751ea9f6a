// Immutable, replayable batches in Blob storage:
//   <container>/<entity>/<yyyy>/<mm>/<dd>/<runId>/part-NNNNN.ndjson.gz  (gzip NDJSON)
//   <container>/<entity>/<yyyy>/<mm>/<dd>/<runId>/_manifest.json        (written last)
// Blobs are created with If-None-Match: * so an existing batch is never overwritten; a
// re-extract is a new run and so a new folder.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { MANIFEST_SCHEMA_VERSION, manifestSchema, type Manifest, type ManifestPart } from './batch-manifest.js';

export class BatchIntegrityError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'BatchIntegrityError';
  }
}

export interface PartLimits {
  maxRows: number;
  /** uncompressed bytes per part; memory per open part is bounded by this */
  maxBytes: number;
}

export function batchFolder(entity: string, runId: string, runDate: Date): string {
  const d = runDate.toISOString();
  return `${entity}/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${runId}`;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** One part being written: lines go through gzip as they come, only compressed bytes are kept. */
class PartWriter {
  rows = 0;
  bytes = 0;
  private readonly gzip: Gzip = createGzip();
  private readonly chunks: Buffer[] = [];
  constructor() {
    this.gzip.on('data', (c: Buffer) => this.chunks.push(c));
  }
  async write(line: string): Promise<void> {
    this.rows++;
    this.bytes += Buffer.byteLength(line);
    if (!this.gzip.write(line)) await once(this.gzip, 'drain');
  }
  async finish(): Promise<{ gz: Buffer; rows: number }> {
    const ended = once(this.gzip, 'end');
    this.gzip.end();
    await ended;
    return { gz: Buffer.concat(this.chunks), rows: this.rows };
  }
}

export class BatchStore {
  constructor(readonly container: ContainerClient) {}

  static fromConnectionString(connectionString: string, containerName: string): BatchStore {
    return new BatchStore(BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName));
  }

  async ensureContainer(): Promise<void> {
    await this.container.createIfNotExists();
  }

  /** Writes rows as bounded gzip NDJSON parts, then the manifest. Returns the manifest. */
  async writeBatch(
    meta: { runId: string; folderRunId?: string; entity: string; runDate: Date; window: { from: string | null; to: string }; dateColumns?: readonly string[] },
    rows: AsyncIterable<Record<string, unknown>>,
    limits: PartLimits,
  ): Promise<{ manifest: Manifest; manifestPath: string; manifestSha256: string }> {
    const folder = batchFolder(meta.entity, meta.folderRunId ?? meta.runId, meta.runDate);
    const parts: ManifestPart[] = [];
    let part: PartWriter | null = null;
    let minDate: string | null = null;
    let maxDate: string | null = null;
    const flush = async () => {
      const path = `${folder}/part-${String(parts.length).padStart(5, '0')}.ndjson.gz`;
      const { gz, rows: n } = await (part ?? new PartWriter()).finish();
      await this.upload(path, gz, 'application/x-ndjson', 'gzip');
      parts.push({ path, rows: n, bytes: gz.length, sha256: sha256(gz) });
      part = null;
    };
    for await (const row of rows) {
      for (const c of meta.dateColumns ?? []) {
        const v = row[c];
        if (typeof v !== 'string') continue;
        const day = v.slice(0, 10);
        if (minDate === null || day < minDate) minDate = day;
        if (maxDate === null || day > maxDate) maxDate = day;
      }
      part ??= new PartWriter();
      await part.write(JSON.stringify(row) + '\n');
      if (part.rows >= limits.maxRows || part.bytes >= limits.maxBytes) await flush();
    }
    if (part !== null || parts.length === 0) await flush();
    const manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      runId: meta.runId,
      entity: meta.entity,
      window: meta.window,
      rowCount: parts.reduce((n, p) => n + p.rows, 0),
      parts,
      dateRange: minDate && maxDate ? { min: minDate, max: maxDate } : null,
      createdAt: new Date().toISOString(),
    };
    const body = Buffer.from(JSON.stringify(manifest, null, 2));
    const manifestPath = `${folder}/_manifest.json`;
    await this.upload(manifestPath, body, 'application/json');
    return { manifest, manifestPath, manifestSha256: sha256(body) };
  }

  /** Reads and validates a manifest; with `expectedSha256` (what etl.batch recorded) its bytes must match it. */
  async readManifest(path: string, expectedSha256?: string): Promise<Manifest> {
    const body = await this.download(path);
    if (expectedSha256 !== undefined) {
      const actual = sha256(body);
      if (actual !== expectedSha256)
        throw new BatchIntegrityError(`manifest checksum mismatch for ${path}: etl.batch says ${expectedSha256}, blob has ${actual}`, path);
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new BatchIntegrityError(`manifest ${path} is not valid JSON`, path);
    }
    const parsed = manifestSchema.safeParse(json);
    if (!parsed.success)
      throw new BatchIntegrityError(`manifest ${path} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, path);
    return parsed.data;
  }

  /** Yields the parsed rows of one part after checking its checksum; only the compressed part is held in memory. */
  async *readPart(part: ManifestPart): AsyncGenerator<unknown> {
    const gz = await this.download(part.path);
    const actual = sha256(gz);
    if (actual !== part.sha256) {
      throw new BatchIntegrityError(`checksum mismatch for ${part.path}: manifest says ${part.sha256}, blob has ${actual}`, part.path);
    }
    let count = 0;
    const lines = createInterface({ input: Readable.from([gz]).pipe(createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === '') continue;
      count++;
      yield JSON.parse(line);
    }
    if (count !== part.rows) throw new BatchIntegrityError(`${part.path} has ${count} rows, manifest says ${part.rows}`, part.path);
  }

  async *readBatch(manifest: Manifest): AsyncGenerator<unknown> {
    for (const part of manifest.parts) yield* this.readPart(part);
  }

  private async upload(path: string, data: Buffer, contentType: string, contentEncoding?: string): Promise<void> {
    await this.container.getBlockBlobClient(path).uploadData(data, {
      blobHTTPHeaders: { blobContentType: contentType, blobContentEncoding: contentEncoding },
      conditions: { ifNoneMatch: '*' },
    });
  }

  private async download(path: string): Promise<Buffer> {
    try {
      return await this.container.getBlobClient(path).downloadToBuffer();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) throw new BatchIntegrityError(`blob ${path} does not exist`, path);
      throw e;
    }
  }
}
