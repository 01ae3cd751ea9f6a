// Loads one extracted batch into its staging table: every row checked against its contract,
// good rows bulk-loaded (COPY / SQL Server bulk copy), bad rows returned for quarantine with
// the reason. Then duplicate keys in the batch are collapsed to the latest version.
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Database, TableSpec } from '../db/database.js';
import { tablesOf, type WarehouseTables } from '../db/schema/index.js';
import type { BatchStore } from '../storage/batch-store.js';
import type { Manifest } from '../storage/batch-manifest.js';
import { rejectionReason, type EntityDef, type EntityName } from './entities.js';

export interface RejectedRow {
  seq: number;
  businessKey: string | null;
  reason: string;
  raw: string;
}

export class RejectThresholdError extends Error {
  constructor(
    readonly entity: string,
    readonly rejected: number,
    readonly read: number,
    readonly thresholdPercent: number,
    readonly sample: RejectedRow[],
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

export async function stageBatch(
  dw: Database<WarehouseTables>,
  store: BatchStore,
  def: EntityDef,
  manifest: Manifest,
  thresholdPercent: number,
): Promise<StagingCounts> {
  const stg = tablesOf(dw.db, 'stg');
  await stg.deleteFrom(`stg.${def.name}`).execute();
  const limit = Math.floor((manifest.rowCount * thresholdPercent) / 100);
  const rejected: RejectedRow[] = [];
  let read = 0;
  const columns = def.table.columns.map((c) => c.name);
  async function* valid() {
    for await (const raw of store.readBatch(manifest)) {
      read++;
      const parsed = def.contract.safeParse(raw);
      if (parsed.success) {
        yield [read, ...columns.map((c) => parsed.data[c] as string | number | boolean | null)];
        continue;
      }
      const id = (raw as Record<string, unknown> | null)?.id;
      rejected.push({
        seq: read,
        businessKey: id === undefined || id === null ? null : String(id),
        reason: rejectionReason(parsed.error),
        raw: JSON.stringify(raw),
      });
      if (rejected.length > limit) throw new RejectThresholdError(def.name, rejected.length, manifest.rowCount, thresholdPercent, rejected);
    }
  }
  const accepted = await dw.bulkInsert(stagingTable(def), valid());
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

/** Writes an entity's rejected rows for this run (replacing those of an earlier attempt). */
export async function quarantine(trx: Transaction<WarehouseTables>, runId: string, entityName: string, rows: RejectedRow[]): Promise<void> {
  await trx.deleteFrom('etl.rejected_row').where('run_id', '=', runId).where('entity', '=', entityName).execute();
  for (let i = 0; i < rows.length; i += 200) {
    await trx
      .insertInto('etl.rejected_row')
      .values(
        rows
          .slice(i, i + 200)
          .map((r) => ({ run_id: runId, entity: entityName, seq: r.seq, business_key: r.businessKey, reason: r.reason.slice(0, 1000), raw_row: r.raw })),
      )
      .execute();
  }
}
