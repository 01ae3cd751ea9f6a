// Loads one extracted batch into its staging table: every row checked against its contract and
// the sane date range of its batch, good rows bulk-loaded (COPY / SQL Server bulk copy), bad rows
// returned for quarantine with the reason. Then duplicate keys in the batch are collapsed to the
// latest version. A batch past the reject threshold is read to its end, its rejected rows are
// quarantined at once (the load's transaction will not commit them) and RejectThresholdError
// carries the counts for the failed step.
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Database, TableSpec } from '../db/database.js';
import { tablesOf, type WarehouseTables } from '../db/schema/index.js';
import type { BatchStore } from '../storage/batch-store.js';
import type { Manifest } from '../storage/batch-manifest.js';
import type { StepCounts } from './run-audit.js';
import { checkRow, DEFAULT_SOURCE_DATE_LIMITS, type EntityDef, type EntityName, type SourceDateLimits } from './entities.js';

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

export async function stageBatch(
  dw: Database<WarehouseTables>,
  store: BatchStore,
  def: EntityDef,
  manifest: Manifest,
  thresholdPercent: number,
  options: StageOptions = {},
): Promise<StagingCounts> {
  const stg = tablesOf(dw.db, 'stg');
  await stg.deleteFrom(`stg.${def.name}`).execute();
  const limit = Math.floor((manifest.rowCount * thresholdPercent) / 100);
  const limits = options.limits ?? DEFAULT_SOURCE_DATE_LIMITS;
  const rejected: RejectedRow[] = [];
  let read = 0;
  const columns = def.table.columns.map((c) => c.name);
  async function* valid() {
    for await (const raw of store.readBatch(manifest)) {
      read++;
      const checked = checkRow(def, raw, manifest.window.to, limits);
      if (checked.ok) {
        yield [read, ...columns.map((c) => checked.row[c] as string | number | boolean | null)];
        continue;
      }
      const id = (raw as Record<string, unknown> | null)?.id;
      rejected.push({
        seq: read,
        businessKey: id === undefined || id === null ? null : String(id),
        reason: checked.reason,
        raw: JSON.stringify(raw),
      });
    }
  }
  const accepted = await dw.bulkInsert(stagingTable(def), valid());
  if (rejected.length > limit) {
    // The load's transaction will not commit: keep the rejected rows now, in a transaction of their own.
    await dw.db.transaction().execute((trx) => quarantine(trx, options.runId ?? manifest.runId, def.name, rejected));
    throw new RejectThresholdError(def.name, rejected.length, read, thresholdPercent, rejected, accepted, true);
  }
  // Keep only the latest version of each key (DESIGN §4.3; SQL Server MERGE/UPDATE would fail
  // or be nondeterministic on duplicate source keys).
  // The table deleted from is not aliased (T-SQL's DELETE takes no alias): Kysely cannot type a
  // reference to it by its bare name, so those go through sql.ref.
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
