// The JSON form of a source row in a batch (one NDJSON line): timestamps as UTC ISO-8601, dates
// as YYYY-MM-DD, ids as plain numbers, decimals as the exact strings the source query returned.
import type { EntityDef } from './entities.js';

/** Turns a driver row into its JSON form, with exactly the entity's columns (a missing one is null). */
export function toJsonRow(def: Pick<EntityDef, 'table'>, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of def.table.columns) {
    const v = row[c.name];
    if (v instanceof Date) out[c.name] = c.kind === 'date' ? v.toISOString().slice(0, 10) : v.toISOString();
    else if (typeof v === 'bigint') out[c.name] = Number(v);
    else out[c.name] = v ?? null;
  }
  return out;
}
