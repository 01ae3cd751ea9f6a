// What the checks read from the quarantine (etl.rejected_row): a rejected row's raw text is the
// JSON form of the row as extracted (staging.ts), so its key, its version (updated_at) and its
// money values can be read back. A row that is not valid JSON gives none of them.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import { parseMoney } from '../model/money.js';

export interface QuarantinedRow {
  runId: string;
  businessKey: string | null;
  /** updated_at of the version quarantined, in ms; null when the raw row does not say */
  version: number | null;
  /** the row's fields, null when the raw text is not a JSON object */
  fields: Record<string, unknown> | null;
}

function parsed(raw: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function versionOf(fields: Record<string, unknown> | null): number | null {
  const v = fields?.updated_at;
  const at = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(at) ? null : at;
}

/** Which runs' quarantined rows: one run's, or every run's but one (or all). */
export type RunsFilter = { run: string } | { exceptRun?: string };

/** The quarantined rows of an entity, raw. */
export function quarantinedRowsQuery(dw: Kysely<WarehouseTables>, entity: string, runs: RunsFilter) {
  let q = dw.selectFrom('etl.rejected_row').select(['run_id', 'business_key', 'raw_row']).where('entity', '=', entity);
  if ('run' in runs) q = q.where('run_id', '=', runs.run);
  else if (runs.exceptRun !== undefined) q = q.where('run_id', '<>', runs.exceptRun);
  return q;
}

/** The quarantined rows of an entity, read back. */
export async function quarantinedRows(dw: Kysely<WarehouseTables>, entity: string, runs: RunsFilter): Promise<QuarantinedRow[]> {
  const rows = await quarantinedRowsQuery(dw, entity, runs).execute();
  return rows.map((r) => {
    const fields = parsed(r.raw_row);
    return { runId: r.run_id, businessKey: r.business_key, version: versionOf(fields), fields };
  });
}

/** business key -> the versions (updated_at, ms) quarantined, over every run. */
export async function quarantinedVersions(dw: Kysely<WarehouseTables>, entity: string): Promise<Map<string, Set<number>>> {
  const byKey = new Map<string, Set<number>>();
  for (const r of await quarantinedRows(dw, entity, {})) {
    if (r.businessKey === null || r.version === null) continue;
    const versions = byKey.get(r.businessKey) ?? new Set<number>();
    versions.add(r.version);
    byKey.set(r.businessKey, versions);
  }
  return byKey;
}

/**
 * A money value of a quarantined row in units (null counts 0), or undefined when it is absent (a
 * row that could not be read as the entity's) or no exact decimal with at most 4 places (a value
 * the row may have been rejected for).
 */
export function moneyOf(fields: Record<string, unknown> | null, column: string): bigint | undefined {
  if (fields === null || !(column in fields)) return undefined;
  const v = fields[column];
  if (v === null) return 0n;
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return parseMoney(String(v));
  } catch {
    return undefined;
  }
}
