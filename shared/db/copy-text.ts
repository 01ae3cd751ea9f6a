// Encodes rows in PostgreSQL's COPY text format (tab-separated, \N for NULL), shared by the
// pglite and postgres bulk paths.
import type { BulkRow, BulkValue } from './database.js';

function encodeValue(v: BulkValue): string {
  if (v === null || v === undefined) return '\\N';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const s = String(v);
  // Backslash first, then the characters COPY treats as structure.
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export function encodeCopyRow(row: BulkRow): string {
  return row.map(encodeValue).join('\t') + '\n';
}

export function copyStatement(schema: string, table: string, columns: readonly string[], source: string): string {
  const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return `COPY ${ident(schema)}.${ident(table)} (${columns.map(ident).join(', ')}) FROM ${source} WITH (FORMAT text)`;
}
