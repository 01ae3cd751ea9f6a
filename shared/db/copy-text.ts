// PostgreSQL's COPY text format (tab-separated, \N for NULL, backslash escapes): encoded for the
// pglite and postgres bulk paths, and decoded where a batch part in this format is read row by row
// (the SQL Server warehouse, and a part the typed COPY refused).
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

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One field of a COPY text row: `\N` is NULL; escapes as PostgreSQL reads them (letters, octal \NNN, hex \xHH, any other char as itself). */
function decodeField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))/gs, (_m, octal?: string, hex?: string, ch?: string) => {
    if (octal !== undefined) return String.fromCharCode(parseInt(octal, 8) & 0xff);
    if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16));
    return ESCAPES[ch!] ?? ch!;
  });
}

/** The fields of one COPY text line (without its newline). A data tab or newline is always escaped, so splitting on raw tabs is exact. */
export function decodeCopyLine(line: string): (string | null)[] {
  return line.split('\t').map(decodeField);
}

export function copyStatement(schema: string, table: string, columns: readonly string[], source: string): string {
  const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return `COPY ${ident(schema)}.${ident(table)} (${columns.map(ident).join(', ')}) FROM ${source} WITH (FORMAT text)`;
}

/** A double-quoted SQL identifier (COPY statements cannot go through the query builder). */
export const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
