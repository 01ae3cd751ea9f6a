// Immutable, replayable batches in Blob storage:
//   <container>/<entity>/<yyyy>/<mm>/<dd>/<runId>/part-NNNNN.tsv.gz     (gzip COPY text, schemaVersion 2)
//   <container>/<entity>/<yyyy>/<mm>/<dd>/<runId>/part-NNNNN.ndjson.gz  (gzip NDJSON, schemaVersion 1: older batches)
//   <container>/<entity>/<yyyy>/<mm>/<dd>/<runId>/_manifest.json        (written last)
// Blobs are created with If-None-Match: * so an existing batch is never overwritten; a
// re-extract is a new run and so a new folder.
//
// The COPY text path moves bytes: the extract hands over the bytes a COPY ... TO produced, they
// are cut into parts at row boundaries (a data newline is always escaped in COPY text, so every
// raw '\n' ends a row) and gzipped as they arrive; a finished part uploads while the next one
// fills. The load verifies a part's checksum and hands its gunzipped bytes to COPY ... FROM.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip, createGzip, gunzipSync, type Gzip } from 'node:zlib';
import type { ContainerClient } from '@azure/storage-blob';
import { encodeCopyRow, decodeCopyLine } from '../db/copy-text.js';
import type { BulkValue } from '../db/database.js';
import { MANIFEST_SCHEMA_VERSION, PART_FORMAT, manifestSchema, type Manifest, type ManifestPart } from './batch-manifest.js';
import type { StorageAccount } from './storage-account.js';
import { blobService } from './storage-clients.js';
import { formatMoney, parseMoney } from '../model/money.js';

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

/** Rows already in COPY text (schemaVersion 2): the bytes, and what the manifest records about them. */
export interface CopyTextRows {
  format: typeof PART_FORMAT;
  columns: readonly string[];
  /** COPY text bytes, cut anywhere: the writer finds the row boundaries */
  chunks: AsyncIterable<Buffer | string>;
  /** min/max business date of the rows, computed by the caller (one aggregate query in the extract's snapshot) */
  dateRange: { min: string; max: string } | null;
  /** the control totals of the rows (batch-manifest.ts), computed by the caller in the same aggregate */
  totals?: Record<string, string>;
}

export interface BatchMeta {
  runId: string;
  folderRunId?: string;
  entity: string;
  runDate: Date;
  window: { from: string | null; to: string };
  dateColumns?: readonly string[];
  /** with row objects: write them as COPY text (schemaVersion 2) in this column order; without: NDJSON (schemaVersion 1) */
  columns?: readonly string[];
  /** with row objects: the money columns whose control totals the manifest records, summed exactly as the rows go by */
  totalColumns?: readonly string[];
}

export function batchFolder(entity: string, runId: string, runDate: Date): string {
  const d = runDate.toISOString();
  return `${entity}/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${runId}`;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** One part being written: bytes go through gzip as they come, only compressed bytes are kept. */
class PartWriter {
  rows = 0;
  bytes = 0;
  private readonly gzip: Gzip = createGzip();
  private readonly chunks: Buffer[] = [];
  constructor() {
    this.gzip.on('data', (c: Buffer) => this.chunks.push(c));
  }
  /** `rows` complete rows (or 0 for the start of one) in `data`. */
  async write(data: Buffer | string, rows: number): Promise<void> {
    this.rows += rows;
    this.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (!this.gzip.write(data)) await once(this.gzip, 'drain');
  }
  async finish(): Promise<{ gz: Buffer; rows: number }> {
    const ended = once(this.gzip, 'end');
    this.gzip.end();
    await ended;
    return { gz: Buffer.concat(this.chunks), rows: this.rows };
  }
}

/** A JSON row value as COPY text input: the JSON form already holds dates and decimals as the exact text. */
function copyValue(v: unknown): BulkValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v instanceof Date) return v;
  return JSON.stringify(v);
}

function isCopyTextRows(x: unknown): x is CopyTextRows {
  return typeof x === 'object' && x !== null && (x as { format?: unknown }).format === PART_FORMAT;
}

/** Parts a load step may download all at once ahead of their turn: a daily run's, not a full load's. */
export const READ_AHEAD_MAX_BYTES = 8 * 1024 * 1024;

export class BatchStore {
  /** compressed parts downloading ahead of their turn (readingAhead), by path; taken when read */
  private readonly ahead = new Map<string, Promise<Buffer>>();

  constructor(readonly container: ContainerClient) {}

  /** The store in the configured account (connection string or identity: storage-account.ts decides). */
  static fromStorageAccount(account: StorageAccount, containerName: string): BatchStore {
    return new BatchStore(blobService(account).getContainerClient(containerName));
  }

  async ensureContainer(): Promise<void> {
    await this.container.createIfNotExists();
  }

  /**
   * Writes a batch as bounded gzip parts, then the manifest. `rows` are COPY text bytes
   * (schemaVersion 2), or row objects: written as COPY text when `meta.columns` is given, as
   * NDJSON (schemaVersion 1) otherwise.
   */
  async writeBatch(
    meta: BatchMeta,
    rows: AsyncIterable<Record<string, unknown>> | CopyTextRows,
    limits: PartLimits,
  ): Promise<{ manifest: Manifest; manifestPath: string; manifestSha256: string }> {
    if (isCopyTextRows(rows)) return this.writeParts(meta, { columns: rows.columns, dateRange: rows.dateRange, totals: rows.totals }, rows.chunks, limits);
    const dates = { min: null as string | null, max: null as string | null };
    const dateColumns = meta.dateColumns ?? [];
    const columns = meta.columns;
    const sums = new Map((meta.totalColumns ?? []).map((c) => [c, 0n]));
    async function* lines() {
      for await (const row of rows as AsyncIterable<Record<string, unknown>>) {
        for (const [c, sum] of sums) {
          const v = row[c];
          if (v !== null && v !== undefined) sums.set(c, sum + parseMoney(String(v as string | number)));
        }
        for (const c of dateColumns) {
          const v = row[c];
          if (typeof v !== 'string') continue;
          const day = v.slice(0, 10);
          if (dates.min === null || day < dates.min) dates.min = day;
          if (dates.max === null || day > dates.max) dates.max = day;
        }
        yield columns ? encodeCopyRow(columns.map((c) => copyValue(row[c]))) : JSON.stringify(row) + '\n';
      }
    }
    const dateRange = () => (dates.min && dates.max ? { min: dates.min, max: dates.max } : null);
    const totals = meta.totalColumns ? () => Object.fromEntries([...sums].map(([c, units]) => [c, formatMoney(units)])) : undefined;
    return this.writeParts(meta, columns ? { columns, dateRange, totals } : { dateRange, totals }, lines(), limits);
  }

  /** Cuts newline-terminated rows into parts (rows and bytes bounded by `limits`), uploading each part while the next fills. */
  private async writeParts(
    meta: BatchMeta,
    shape: {
      columns?: readonly string[];
      dateRange: Manifest['dateRange'] | (() => Manifest['dateRange']);
      totals?: Manifest['totals'] | (() => Manifest['totals']);
    },
    chunks: AsyncIterable<Buffer | string>,
    limits: PartLimits,
  ): Promise<{ manifest: Manifest; manifestPath: string; manifestSha256: string }> {
    const folder = batchFolder(meta.entity, meta.folderRunId ?? meta.runId, meta.runDate);
    const suffix = shape.columns ? 'tsv.gz' : 'ndjson.gz';
    const contentType = shape.columns ? 'text/tab-separated-values' : 'application/x-ndjson';
    const parts: ManifestPart[] = [];
    let part: PartWriter | null = null;
    // one upload in flight while the next part fills: bounded memory, storage and source busy at once
    let uploading: Promise<void> = Promise.resolve();
    const flush = async () => {
      const path = `${folder}/part-${String(parts.length).padStart(5, '0')}.${suffix}`;
      const { gz, rows: n } = await (part ?? new PartWriter()).finish();
      parts.push({ path, rows: n, bytes: gz.length, sha256: sha256(gz) });
      part = null;
      await uploading;
      uploading = this.upload(path, gz, contentType, 'gzip');
      uploading.catch(() => undefined); // awaited at the next flush or the end
    };
    let tail = false; // the current part holds the start of a row not yet ended
    for await (const chunk of chunks) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let start = 0;
      let from = 0;
      let rows = 0;
      for (;;) {
        const nl = buf.indexOf(10, from);
        if (nl < 0) break;
        rows++;
        from = nl + 1;
        part ??= new PartWriter();
        if (part.rows + rows >= limits.maxRows || part.bytes + (from - start) >= limits.maxBytes) {
          await part.write(buf.subarray(start, from), rows);
          await flush();
          start = from;
          rows = 0;
        }
      }
      if (start < buf.length) {
        part ??= new PartWriter();
        await part.write(buf.subarray(start), rows);
      }
      if (buf.length > 0) tail = buf[buf.length - 1] !== 10;
    }
    if (tail) throw new Error(`${meta.entity}: the extracted rows did not end with a newline`);
    if (part !== null || parts.length === 0) await flush();
    await uploading;
    const manifest: Manifest = {
      schemaVersion: shape.columns ? MANIFEST_SCHEMA_VERSION : 1,
      ...(shape.columns ? { format: PART_FORMAT, columns: [...shape.columns] } : {}),
      runId: meta.runId,
      entity: meta.entity,
      window: meta.window,
      rowCount: parts.reduce((n, p) => n + p.rows, 0),
      parts,
      dateRange: typeof shape.dateRange === 'function' ? shape.dateRange() : shape.dateRange,
      ...(shape.totals ? { totals: typeof shape.totals === 'function' ? shape.totals() : shape.totals } : {}),
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

  /**
   * A reader of this container for one load step that starts downloading `parts` now: a daily
   * batch's parts are small, and each costs a round trip to Blob storage more than its bytes. Each
   * is still checked against its checksum when read. Parts totalling more than `maxBytes` (a full
   * load) are not held in memory ahead: this store itself is returned, and its parts download one
   * ahead as they are read (staging.ts).
   */
  readingAhead(parts: readonly ManifestPart[], maxBytes = READ_AHEAD_MAX_BYTES): BatchStore {
    if (parts.length === 0 || parts.reduce((n, p) => n + p.bytes, 0) > maxBytes) return this;
    const store = new BatchStore(this.container);
    for (const part of parts) {
      const gz = this.download(part.path);
      gz.catch(() => undefined); // awaited when the part is read; dropped with the store otherwise
      store.ahead.set(part.path, gz);
    }
    return store;
  }

  /** The compressed bytes of one part, after checking its checksum. */
  private async verifiedPart(part: ManifestPart): Promise<Buffer> {
    const early = this.ahead.get(part.path);
    this.ahead.delete(part.path);
    const gz = await (early ?? this.download(part.path));
    const actual = sha256(gz);
    if (actual !== part.sha256) {
      throw new BatchIntegrityError(`checksum mismatch for ${part.path}: manifest says ${part.sha256}, blob has ${actual}`, part.path);
    }
    return gz;
  }

  /** Yields the parsed rows of one NDJSON part (schemaVersion 1) after checking its checksum; only the compressed part is held in memory. */
  async *readPart(part: ManifestPart): AsyncGenerator<unknown> {
    const gz = await this.verifiedPart(part);
    let count = 0;
    const lines = createInterface({ input: Readable.from([gz]).pipe(createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === '') continue;
      count++;
      yield JSON.parse(line);
    }
    if (count !== part.rows) throw new BatchIntegrityError(`${part.path} has ${count} rows, manifest says ${part.rows}`, part.path);
  }

  /** The rows of an NDJSON batch (schemaVersion 1), part after part. */
  async *readBatch(manifest: Manifest): AsyncGenerator<unknown> {
    for (const part of manifest.parts) yield* this.readPart(part);
  }

  /** The uncompressed COPY text of one part (schemaVersion 2), checksum verified; at most EXTRACT_PART_MAX_BYTES. */
  async readPartText(part: ManifestPart): Promise<Buffer> {
    const gz = await this.verifiedPart(part);
    try {
      return gunzipSync(gz);
    } catch (e) {
      throw new BatchIntegrityError(`${part.path} is not valid gzip: ${(e as Error).message}`, part.path);
    }
  }

  /**
   * The COPY text of one part (schemaVersion 2) as it gunzips, for COPY ... FROM: the checksum is
   * verified before this resolves, and only the compressed part is held in memory (a whole part's
   * text, up to EXTRACT_PART_MAX_BYTES, would be held twice over while a full load stages one part
   * and reads the next ahead). Bad gzip fails the iteration with BatchIntegrityError.
   */
  async openPartText(part: ManifestPart): Promise<AsyncIterable<Buffer>> {
    const gz = await this.verifiedPart(part);
    return (async function* () {
      try {
        // 256 KiB pieces: each becomes one message to the database
        for await (const chunk of Readable.from([gz]).pipe(createGunzip({ chunkSize: 256 * 1024 }))) yield chunk as Buffer;
      } catch (e) {
        throw new BatchIntegrityError(`${part.path} is not valid gzip: ${(e as Error).message}`, part.path);
      }
    })();
  }

  /** The fields of each row of a COPY text part (schemaVersion 2), checked against the manifest's row count. */
  async *readPartFields(part: ManifestPart): AsyncGenerator<(string | null)[]> {
    const text = (await this.readPartText(part)).toString('utf8');
    let count = 0;
    let from = 0;
    while (from < text.length) {
      const nl = text.indexOf('\n', from);
      const end = nl < 0 ? text.length : nl;
      count++;
      yield decodeCopyLine(text.slice(from, end));
      from = end + 1;
    }
    if (count !== part.rows) throw new BatchIntegrityError(`${part.path} has ${count} rows, manifest says ${part.rows}`, part.path);
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
