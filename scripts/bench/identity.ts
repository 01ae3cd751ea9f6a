// Are two warehouses the same? Per table, every business column of every row, in key order, is
// hashed on its own database (count + md5 of the ordered row hashes); a table whose checksums
// differ is then compared row by row to name the first keys that differ. Surrogate keys are
// compared as they are: the pipeline and the ideal both assign them in business-key order from 1.
// Excluded: who loaded a row and when (run_id, loaded_at) and the run audit (etl.run, run_step,
// batch, lease, watermark); etl.rejected_row is compared by entity, key and reason.
import type { SqlSession } from './sql-session.js';

export interface ComparedTable {
  table: string;
  /** ORDER BY of its rows (its business or surrogate key) */
  orderBy: string;
  /** the key as text, to name a differing row; default: the ORDER BY as text */
  keyText?: string;
  /** the columns compared; default: every column but run_id and loaded_at */
  columns?: readonly string[];
}

export const COMPARED_TABLES: readonly ComparedTable[] = [
  { table: 'dw.dim_data', orderBy: 'data_key' },
  { table: 'dw.dim_categoria', orderBy: 'categoria_key' },
  { table: 'dw.dim_vendedor', orderBy: 'vendedor_key' },
  { table: 'dw.dim_campanha', orderBy: 'campanha_key' },
  { table: 'dw.dim_cliente', orderBy: 'cliente_key' },
  { table: 'dw.dim_produto', orderBy: 'produto_key' },
  { table: 'dw.fact_vendas', orderBy: 'item_id' },
  { table: 'dw.fact_descontos', orderBy: 'item_id' },
  { table: 'dw.fact_metas', orderBy: 'meta_id' },
  { table: 'ods.pedidos', orderBy: 'id' },
  { table: 'ods.itens_pedido', orderBy: 'id' },
  { table: 'ods.pagamentos', orderBy: 'id' },
  {
    table: 'etl.rejected_row',
    orderBy: 'entity, business_key, reason',
    keyText: "concat_ws('|', entity, business_key, reason)",
    columns: ['entity', 'business_key', 'reason'],
  },
];

const EXCLUDED = new Set(['run_id', 'loaded_at']);

export interface TableChecksum {
  table: string;
  rows: number;
  md5: string;
}

async function columnsOf(db: SqlSession, t: ComparedTable): Promise<string[]> {
  if (t.columns) return [...t.columns];
  const [schema, name] = t.table.split('.');
  const rows = await db.query<{ column_name: string }>(
    'select column_name from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
    [schema, name],
  );
  if (rows.length === 0) throw new Error(`identity check: table ${t.table} not found`);
  return rows.map((r) => r.column_name).filter((c) => !EXCLUDED.has(c));
}

/** The row text hashed per row: the compared columns as PostgreSQL prints them (session in UTC). */
const rowText = (columns: readonly string[]) => `row(${columns.map((c) => `"${c}"`).join(', ')})::text`;

export async function tableChecksum(db: SqlSession, t: ComparedTable): Promise<TableChecksum> {
  const columns = await columnsOf(db, t);
  const [r] = await db.query<{ n: string; h: string | null }>(
    `select count(*) as n, md5(string_agg(md5(${rowText(columns)}), '' order by ${t.orderBy})) as h from ${t.table}`,
  );
  return { table: t.table, rows: Number(r!.n), md5: r!.h ?? '' };
}

async function rowHashes(db: SqlSession, t: ComparedTable, columns: readonly string[]): Promise<{ key: string; h: string }[]> {
  const key = t.keyText ?? `(${t.orderBy})::text`;
  return db.query<{ key: string; h: string }>(`select ${key} as key, md5(${rowText(columns)}) as h from ${t.table} order by ${t.orderBy}`);
}

/** The first keys whose rows differ (or exist on one side only), for the report of a failed check. */
async function firstDifferences(a: SqlSession, b: SqlSession, t: ComparedTable, max = 5): Promise<string[]> {
  const columns = await columnsOf(a, t);
  const [left, right] = [await rowHashes(a, t, columns), await rowHashes(b, t, columns)];
  const rightByKey = new Map(right.map((r) => [r.key, r.h]));
  const out: string[] = [];
  for (const l of left) {
    const h = rightByKey.get(l.key);
    if (h !== l.h) out.push(h === undefined ? `${l.key} only in the first` : `${l.key} differs`);
    rightByKey.delete(l.key);
    if (out.length >= max) return out;
  }
  for (const key of rightByKey.keys()) {
    out.push(`${key} only in the second`);
    if (out.length >= max) break;
  }
  return out;
}

export interface IdentityResult {
  identical: boolean;
  tables: { table: string; rows: [number, number]; identical: boolean; differences?: string[] }[];
}

/** Compares every table of COMPARED_TABLES between two warehouses on the same engine. */
export async function compareWarehouses(a: SqlSession, b: SqlSession, tables: readonly ComparedTable[] = COMPARED_TABLES): Promise<IdentityResult> {
  const result: IdentityResult = { identical: true, tables: [] };
  for (const t of tables) {
    const [x, y] = [await tableChecksum(a, t), await tableChecksum(b, t)];
    const same = x.rows === y.rows && x.md5 === y.md5;
    const entry: IdentityResult['tables'][number] = { table: t.table, rows: [x.rows, y.rows], identical: same };
    if (!same) {
      entry.differences = await firstDifferences(a, b, t);
      result.identical = false;
    }
    result.tables.push(entry);
  }
  return result;
}
