// Loads one extracted batch into its staging table and applies the row contracts; rows that
// break them are returned for quarantine with their reason. Then duplicate keys in the batch are
// collapsed to the latest version. A batch past the reject threshold is read to its end, its
// rejected rows are quarantined at once (the load's transaction will not commit them) and
// RejectThresholdError carries the counts for the failed step.
//
// Two paths, the same rows and reasons:
//   - bytes (PostgreSQL warehouses, COPY text batches): each part's checksum-verified bytes go
//     straight into the typed staging table with COPY, then one set-based statement
//     (row-contracts-sql.ts) moves the rows that break their contract out of staging. A part the
//     typed COPY refuses (a value its column cannot take) is staged row by row instead;
//   - row by row (SQL Server, NDJSON batches of schemaVersion 1, refused parts): each row is
//     checked (entities.ts checkRow) and the good ones bulk-loaded.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { CopyChannel, Database, TableSpec } from '../db/database.js';
import { analyzeTable } from '../db/portable-sql.js';
import { tablesOf, type WarehouseTables } from '../db/schema/index.js';
import { BatchIntegrityError, type BatchStore } from '../storage/batch-store.js';
import { isCopyText, type Manifest, type ManifestPart } from '../storage/batch-manifest.js';
import type { StepCounts } from './run-audit.js';
import { checkRow, DEFAULT_SOURCE_DATE_LIMITS, type EntityDef, type EntityName, type SourceDateLimits } from './entities.js';
import { fromCopyFields, toJsonRow } from './json-row.js';
import { rejectStatement } from './row-contracts-sql.js';

export interface RejectedRow {
  seq: number;
  businessKey: string | null;
  reason: string;
  raw: string;
}

/**
 * A batch with more rejected rows than REJECT_THRESHOLD_PERCENT allows. Thrown after the whole
 * batch was read: `read`, `accepted` and `rejected` are the batch's real counts (for the failed
 * run step), `sample` holds every rejected row, already quarantined when `quarantined` is true.
 */
export class RejectThresholdError extends Error {
  constructor(
    readonly entity: string,
    readonly rejected: number,
    readonly read: number,
    readonly thresholdPercent: number,
    readonly sample: RejectedRow[],
    readonly accepted = 0,
    readonly quarantined = false,
  ) {
    super(
      `${entity}: ${rejected} of ${read} rows rejected, more than REJECT_THRESHOLD_PERCENT=${thresholdPercent}%; first reasons: ` +
        sample
          .slice(0, 3)
          .map((r) => `[key ${r.businessKey}] ${r.reason}`)
          .join(' | '),
    );
    this.name = 'RejectThresholdError';
  }
}

export function stagingTable(def: EntityDef): TableSpec {
  return { schema: 'stg', name: def.name, columns: [{ name: '_seq', kind: 'bigint' }, ...def.table.columns] };
}

/** What staging did with a batch: rows read, rows that met their contract and were staged, the rest. */
export interface StagingCounts {
  read: number;
  accepted: number;
  rejected: RejectedRow[];
}

/**
 * The counts a failed step reports: a batch past the reject threshold was read to its end and its
 * rejected rows quarantined, so its step says how many rows were read and rejected (not 0 / 0).
 */
export function failedCounts(e: unknown, entityName: string): StepCounts {
  if (!(e instanceof RejectThresholdError) || e.entity !== entityName) return {};
  return { rows_read: e.read, rows_loaded: e.accepted, rows_rejected: e.rejected };
}

export interface StageOptions {
  /** the source date range of the contracts (the settings); default: the settings' defaults */
  limits?: SourceDateLimits;
  /** the run the rejected rows of a batch past the threshold are quarantined under; default: the manifest's */
  runId?: string;
}

/**
 * Empties an entity's staging table. TRUNCATE (valid T-SQL too) rather than DELETE: a DELETE
 * leaves a full load's pages and statistics behind, and the next daily run scans them.
 */
export async function emptyStaging(db: Kysely<any>, entityName: EntityName): Promise<void> {
  await sql`truncate table ${sql.table(`stg.${entityName}`)}`.execute(db);
}

export async function stageBatch(
  dw: Database<WarehouseTables>,
  store: BatchStore,
  def: EntityDef,
  manifest: Manifest,
  thresholdPercent: number,
  options: StageOptions = {},
): Promise<StagingCounts> {
  await emptyStaging(dw.db, def.name);
  const limit = Math.floor((manifest.rowCount * thresholdPercent) / 100);
  const limits = options.limits ?? DEFAULT_SOURCE_DATE_LIMITS;
  const staged =
    dw.copy && isCopyText(manifest)
      ? await stageBytes(dw, dw.copy, store, def, manifest, limits)
      : await stageRows(dw, def, manifest.window.to, limits, batchRows(store, def, manifest));
  const { read, accepted, rejected } = staged;
  if (rejected.length > limit) {
    // The load's transaction will not commit: keep the rejected rows now, in a transaction of their own.
    await dw.db.transaction().execute((trx) => quarantine(trx, options.runId ?? manifest.runId, def.name, rejected));
    throw new RejectThresholdError(def.name, rejected.length, read, thresholdPercent, rejected, accepted, true);
  }
  // Keep only the latest version of each key (DESIGN §4.3; SQL Server MERGE/UPDATE would fail
  // or be nondeterministic on duplicate source keys).
  // The table deleted from is not aliased (T-SQL's DELETE takes no alias): Kysely cannot type a
  // reference to it by its bare name, so those go through sql.ref.
  // statistics of this batch's rows for the dedup below and the load's statements (analyzeTable)
  await analyzeTable(dw.db, `stg.${def.name}`);
  const stg = tablesOf(dw.db, 'stg');
  const kept = <C extends 'id' | 'updated_at' | '_seq'>(column: C) => sql.ref<Selectable<WarehouseTables[`stg.${EntityName}`]>[C]>(`${def.name}.${column}`);
  await stg
    .deleteFrom(`stg.${def.name}`)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom(`stg.${def.name} as n`)
          .select('n.id')
          .whereRef('n.id', '=', kept('id'))
          .where((w) =>
            w.or([
              w(w.ref('n.updated_at'), '>', kept('updated_at')),
              w.and([w(w.ref('n.updated_at'), '=', kept('updated_at')), w(w.ref('n._seq'), '>', kept('_seq'))]),
            ]),
          ),
      ),
    )
    .execute();
  return { read, accepted, rejected };
}

/** A row of the batch in its JSON form, with its position (1-based) in the batch. */
interface BatchRow {
  seq: number;
  raw: unknown;
  /** why the row cannot even be read as the entity's row (a COPY text line with the wrong number of fields) */
  unreadable?: string;
}

/** The rows of a batch of either format, in order. */
async function* batchRows(store: BatchStore, def: EntityDef, manifest: Manifest, parts = manifest.parts, firstSeq = 1): AsyncGenerator<BatchRow> {
  let seq = firstSeq;
  if (!isCopyText(manifest)) {
    for await (const raw of store.readBatch(manifest)) yield { seq: seq++, raw };
    return;
  }
  for (const part of parts) {
    for await (const fields of store.readPartFields(part)) {
      const raw = fromCopyFields(def, manifest.columns, fields);
      const unreadable =
        fields.length === manifest.columns.length ? undefined : `(row): ${fields.length} fields, the batch has ${manifest.columns.length} columns`;
      yield { seq: seq++, raw, unreadable };
    }
  }
}

const rejectedOf = (row: BatchRow, reason: string): RejectedRow => {
  const id = (row.raw as Record<string, unknown> | null)?.id;
  return { seq: row.seq, businessKey: id === undefined || id === null ? null : String(id), reason, raw: JSON.stringify(row.raw) };
};

/** Row by row: each row checked against its contract, the good ones bulk-loaded with their position. */
async function stageRows(
  dw: Database<WarehouseTables>,
  def: EntityDef,
  windowEnd: string,
  limits: SourceDateLimits,
  rows: AsyncIterable<BatchRow>,
): Promise<StagingCounts> {
  const rejected: RejectedRow[] = [];
  let read = 0;
  const columns = def.table.columns.map((c) => c.name);
  async function* valid() {
    for await (const row of rows) {
      read++;
      const checked = row.unreadable ? ({ ok: false, reason: row.unreadable } as const) : checkRow(def, row.raw, windowEnd, limits);
      if (checked.ok) yield [row.seq, ...columns.map((c) => checked.row[c] as string | number | boolean | null)];
      else rejected.push(rejectedOf(row, checked.reason));
    }
  }
  const accepted = await dw.bulkInsert(stagingTable(def), valid());
  return { read, accepted, rejected };
}

/** A value the typed column cannot take (SQLSTATE class 22: bad text, out of range, wrong field count...). */
const isDataError = (e: unknown) => typeof (e as { code?: unknown })?.code === 'string' && (e as { code: string }).code.startsWith('22');

/**
 * Bytes: every part COPYed into staging as it is (its rows numbered from their position in the
 * batch through _seq's identity), then the contracts as one statement. A part COPY refuses is
 * staged row by row, so only its bad rows are rejected.
 */
async function stageBytes(
  dw: Database<WarehouseTables>,
  copy: CopyChannel,
  store: BatchStore,
  def: EntityDef,
  manifest: Manifest & { columns: string[] },
  limits: SourceDateLimits,
): Promise<StagingCounts> {
  const unknown = manifest.columns.filter((c) => !def.table.columns.some((d) => d.name === c));
  if (unknown.length > 0) throw new BatchIntegrityError(`${def.name}: the batch has columns the entity does not: ${unknown.join(', ')}`, manifest.entity);
  const rejected: RejectedRow[] = [];
  let read = 0;
  // the next part downloads while this one is COPYed; each gunzips as it is sent
  const fetch = (i: number) => {
    const next = manifest.parts[i] ? store.openPartText(manifest.parts[i]) : null;
    next?.catch(() => undefined); // awaited in its turn; abandoned when an earlier part fails
    return next;
  };
  let prefetched = fetch(0);
  for (const [i, part] of manifest.parts.entries()) {
    const text = (await prefetched)!;
    prefetched = fetch(i + 1);
    await copy.query(`SELECT setval(pg_get_serial_sequence($1, '_seq'), $2, false)`, [`stg.${def.name}`, read + 1]);
    try {
      const copied = await copy.copyIn({ schema: 'stg', name: def.name }, manifest.columns, text);
      if (copied !== part.rows) throw new BatchIntegrityError(`${part.path} has ${copied} rows, manifest says ${part.rows}`, part.path);
    } catch (e) {
      if (!isDataError(e)) throw e;
      const fallback = await stageRows(dw, def, manifest.window.to, limits, batchRows(store, def, manifest, [part] as ManifestPart[], read + 1));
      rejected.push(...fallback.rejected);
    }
    read += part.rows;
  }
  const statement = rejectStatement(def, manifest.window.to, limits);
  const removed = await copy.query<Record<string, unknown> & { _reason: string; _seq: number | string }>(statement.text, statement.params);
  for (const r of removed) {
    const row = Object.fromEntries(
      def.table.columns.map((c) => {
        const v = r[c.name];
        // bigints come back as text: exact, a number when JavaScript can hold it
        return [c.name, c.kind === 'bigint' && typeof v === 'string' && Number.isSafeInteger(Number(v)) ? Number(v) : v];
      }),
    );
    rejected.push(rejectedOf({ seq: Number(r._seq), raw: toJsonRow(def, row) }, r._reason));
  }
  rejected.sort((a, b) => a.seq - b.seq);
  return { read, accepted: read - rejected.length, rejected };
}

/** The version of a rejected row: its `updated_at` as extracted, when it has one. */
function versionOf(raw: string): string | null {
  try {
    const v = (JSON.parse(raw) as Record<string, unknown> | null)?.updated_at;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
  } catch {
    return null;
  }
}

const versionKey = (businessKey: string, version: string) => JSON.stringify([businessKey, version]);

/**
 * Writes an entity's rejected rows for this run (replacing those of an earlier attempt). A row
 * another run already quarantined in the same version (entity, id, updated_at) is not written
 * again: overlapping windows re-read the same bad rows, and one copy with its first run is enough.
 * The run still counts it as rejected. Returns how many rows were written.
 */
export async function quarantine(trx: Transaction<WarehouseTables>, runId: string, entityName: string, rows: RejectedRow[]): Promise<number> {
  await trx.deleteFrom('etl.rejected_row').where('run_id', '=', runId).where('entity', '=', entityName).execute();
  const keys = [...new Set(rows.flatMap((r) => (r.businessKey === null ? [] : [r.businessKey])))];
  const known = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const earlier = await trx
      .selectFrom('etl.rejected_row')
      .select(['business_key', 'raw_row'])
      .where('entity', '=', entityName)
      .where('run_id', '<>', runId)
      .where('business_key', 'in', keys.slice(i, i + 500))
      .execute();
    for (const e of earlier) {
      const version = versionOf(e.raw_row);
      if (e.business_key !== null && version !== null) known.add(versionKey(e.business_key, version));
    }
  }
  const fresh = rows.filter((r) => {
    const version = versionOf(r.raw);
    return r.businessKey === null || version === null || !known.has(versionKey(r.businessKey, version));
  });
  for (let i = 0; i < fresh.length; i += 200) {
    await trx
      .insertInto('etl.rejected_row')
      .values(
        fresh
          .slice(i, i + 200)
          .map((r) => ({ run_id: runId, entity: entityName, seq: r.seq, business_key: r.businessKey, reason: r.reason.slice(0, 1000), raw_row: r.raw })),
      )
      .execute();
  }
  return fresh.length;
}
