// A canonical text form of every OLTP row, to compare two databases or one database before and
// after a change: rows ordered by id, Dates as ISO-8601, numbers and decimals as strings, so the
// same data compares equal whatever types the engine's driver returns. Meant for tests and
// small scales (it reads whole tables).
import type { Database } from '../db/database.js';
import { tablesOf, type OltpTables } from '../db/schema/index.js';
import { OLTP, OLTP_TABLES, type OltpTable } from '../model/oltp-tables.js';

export type TableSnapshot = Map<number, string>;
export type OltpSnapshot = Record<OltpTable, TableSnapshot>;

function canonical(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

export async function snapshotOltp(database: Database<OltpTables>): Promise<OltpSnapshot> {
  const source = tablesOf(database.db, 'oltp');
  const out = {} as OltpSnapshot;
  for (const table of OLTP_TABLES) {
    const columns = OLTP[table].columns.map((c) => c.name);
    // the table's columns, listed at run time: dynamic references (plain column names in the SQL)
    const rows = await source
      .selectFrom(`oltp.${table}`)
      .select(columns.map((c) => source.dynamic.ref<string>(c)))
      .orderBy('id')
      .execute();
    out[table] = new Map(rows.map((r) => [Number(r.id), JSON.stringify(columns.map((c) => canonical(r[c])))]));
  }
  return out;
}

/** Ids per table that are new in `after` or differ from `before`; and ids that disappeared. */
export function diffSnapshots(before: OltpSnapshot, after: OltpSnapshot): Record<OltpTable, { inserted: number[]; updated: number[]; deleted: number[] }> {
  const out = {} as Record<OltpTable, { inserted: number[]; updated: number[]; deleted: number[] }>;
  for (const table of OLTP_TABLES) {
    const b = before[table];
    const a = after[table];
    const d = { inserted: [] as number[], updated: [] as number[], deleted: [] as number[] };
    for (const [id, row] of a) {
      const old = b.get(id);
      if (old === undefined) d.inserted.push(id);
      else if (old !== row) d.updated.push(id);
    }
    for (const id of b.keys()) if (!a.has(id)) d.deleted.push(id);
    out[table] = d;
  }
  return out;
}
