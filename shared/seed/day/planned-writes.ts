// The vocabulary of the incremental day's plan: every row it will insert or update, with its
// ids, values and timestamps decided before anything is written.
import { OLTP_TABLES, type OltpTable } from '../../model/oltp-tables.js';

export type Value = string | number | boolean | null;
/** A timestamp in a planned row: epoch ms, converted to the engine's parameter when applied. */
export interface Instant {
  readonly ms: number;
}
export type PlannedValue = Value | Instant;
export type PlannedRow = Record<string, PlannedValue>;

export interface PlannedInsert {
  readonly kind: 'insert';
  readonly table: OltpTable;
  readonly row: PlannedRow & { id: number };
}
export interface PlannedUpdate {
  readonly kind: 'update';
  readonly table: OltpTable;
  readonly id: number;
  readonly set: PlannedRow;
  /** the update applies only while these columns still hold these values (the plan's premise) */
  readonly expect: Record<string, Value>;
  readonly why: string;
}
export type PlannedWrite = PlannedInsert | PlannedUpdate;

export interface RowChanges {
  readonly inserted: number[];
  readonly updated: number[];
}
export type ChangeSet = Record<OltpTable, RowChanges>;

export const instant = (ms: number): Instant => ({ ms });
export const isInstant = (v: PlannedValue): v is Instant => typeof v === 'object' && v !== null;

/** Ids per table that the writes insert or update (an id updated twice counts once). */
export function changesOf(writes: readonly PlannedWrite[]): ChangeSet {
  const out = Object.fromEntries(OLTP_TABLES.map((t) => [t, { inserted: [], updated: [] }])) as unknown as ChangeSet;
  for (const w of writes) {
    if (w.kind === 'insert') out[w.table].inserted.push(w.row.id);
    else if (!out[w.table].updated.includes(w.id)) out[w.table].updated.push(w.id);
  }
  return out;
}

/** Hands out the ids after `last`, one at a time (ids are explicit and planned in advance). */
export function idsAfter(last: number): () => number {
  return () => ++last;
}
