// The JSON form of a source row (one NDJSON line of a schemaVersion 1 batch, and the raw_row a
// rejected row is quarantined with): timestamps as UTC ISO-8601, dates as YYYY-MM-DD, ids as
// plain numbers, decimals as the exact strings the source query returned.
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

/**
 * The JSON form of one COPY text row of a batch (schemaVersion 2), from its fields in the order of
 * `columns`: the part holds the JSON form's text, so only numbers and booleans change type. A field
 * that is not what its column holds stays text, for the contract to reject with its usual reason.
 */
export function fromCopyFields(def: Pick<EntityDef, 'table'>, columns: readonly string[], fields: readonly (string | null)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of def.table.columns) {
    const i = columns.indexOf(c.name);
    const v = i < 0 ? null : (fields[i] ?? null);
    if (v === null) out[c.name] = null;
    else if ((c.kind === 'bigint' || c.kind === 'int') && /^-?\d+$/.test(v)) out[c.name] = Number.isSafeInteger(Number(v)) ? Number(v) : v;
    else if (c.kind === 'bool' && (v === 't' || v === 'f')) out[c.name] = v === 't';
    else out[c.name] = v;
  }
  return out;
}
