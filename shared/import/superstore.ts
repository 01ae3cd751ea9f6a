// Imports the Tableau "Sample - Superstore" order lines (.csv or .csv.gz) into the OLTP:
// categories, one seller, customers, products, orders, items and one derived payment per order.
// The whole file is parsed and validated before anything is written (a bad line fails the import
// naming its line and column); then the rows are bulk-loaded parents first. The bulk paths do not
// share one transaction across tables, so a failure while loading deletes again exactly the rows
// this import wrote (by their freshly allocated id ranges) and the OLTP is left as it was.
import { pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import { tablesOf, type OltpTables } from '../db/schema/index.js';
import { formatMoney, parseMoney } from '../model/money.js';
import { OLTP } from '../model/oltp-tables.js';
import { openTextSource, SourceFileError, type SourceEncoding } from './csv-source.js';
import { MAPPED_TABLES, mapSuperstore, type MappedTable, type SuperstoreLine } from './superstore-map.js';

export const SUPERSTORE_COLUMNS = [
  'Row ID',
  'Order ID',
  'Order Date',
  'Ship Date',
  'Ship Mode',
  'Customer ID',
  'Customer Name',
  'Segment',
  'Country',
  'City',
  'State',
  'Postal Code',
  'Region',
  'Product ID',
  'Category',
  'Sub-Category',
  'Product Name',
  'Sales',
  'Quantity',
  'Discount',
  'Profit',
] as const;

/** An expected failure: bad file, bad line, already imported. Nothing was written. */
export class SuperstoreImportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SuperstoreImportError';
  }
}

export interface ImportOptions {
  /** the import time, written to updated_at (default: now); millisecond precision */
  at?: Date | string;
  log?: (message: string) => void;
}

export interface ImportReport {
  file: string;
  gzip: boolean;
  encoding: SourceEncoding;
  /** C1 control characters repaired to their Windows-1252 meaning (and undefined ones replaced by U+FFFD) */
  c1Repaired: number;
  c1Undefined: number;
  linesRead: number;
  orders: number;
  items: number;
  customers: number;
  customersWithSeveralAddresses: number;
  /** customers/products whose codigo already existed in the OLTP: referenced, not changed */
  customersExisting: number;
  products: number;
  productsWithSeveralNames: number;
  productsExisting: number;
  categories: number;
  duplicateLines: number;
  /** rows inserted per table */
  inserted: Record<MappedTable, number>;
  /** recomputed from the OLTP with SQL over the imported orders, 4 decimals */
  totalSales: string;
  totalProfit: string;
  at: string;
  elapsedMs: number;
}

// ---------------------------------------------------------------------------------------------
// Reading and validating

const MAX_ERRORS_SHOWN = 10;

/** 'M/D/YYYY' -> 'YYYY-MM-DD', or null when it is not a real calendar date. */
export function parseUsDate(text: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  if (!m) return null;
  const [month, day, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return d.toISOString().slice(0, 10);
}

const text = (max: number) =>
  z
    .string()
    .refine((v) => v.trim() !== '', { error: 'is empty' })
    .refine((v) => v.length <= max, { error: `is longer than ${max} characters` });
const optionalText = (max: number) =>
  z
    .string()
    .refine((v) => v.length <= max, { error: `is longer than ${max} characters` })
    .transform((v) => (v.trim() === '' ? null : v));
const date = z.string().transform((v, ctx) => {
  const d = parseUsDate(v);
  if (d === null) {
    ctx.addIssue({ code: 'custom', message: `'${v}' is not a date in M/D/YYYY` });
    return z.NEVER;
  }
  return d;
});
const amount = (what: string, check?: (units: bigint) => boolean) =>
  z.string().transform((v, ctx) => {
    let units: bigint;
    try {
      units = parseMoney(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a decimal number with at most 4 decimals` });
      return z.NEVER;
    }
    if (check && !check(units)) {
      ctx.addIssue({ code: 'custom', message: `'${v}' ${what}` });
      return z.NEVER;
    }
    return units;
  });
const positiveInt = z.string().transform((v, ctx) => {
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) {
    ctx.addIssue({ code: 'custom', message: `'${v}' is not a positive whole number` });
    return z.NEVER;
  }
  return Number(v);
});

const lineSchema = z.object({
  'Row ID': positiveInt,
  'Order ID': text(64),
  'Order Date': date,
  'Ship Date': date,
  'Ship Mode': text(40),
  'Customer ID': text(64),
  'Customer Name': text(160),
  Segment: text(40),
  Country: text(100),
  City: text(100),
  State: text(60),
  'Postal Code': optionalText(10),
  Region: text(40),
  'Product ID': text(64),
  Category: text(60),
  'Sub-Category': text(59),
  'Product Name': text(255),
  Sales: amount('is negative', (u) => u >= 0n),
  Quantity: positiveInt,
  Discount: amount('is not a rate from 0 to below 1', (u) => u >= 0n && u < 10_000n),
  Profit: amount('is out of range'),
});

function checkHeader(path: string, header: string[]): void {
  const expected: readonly string[] = SUPERSTORE_COLUMNS;
  if (header.length === expected.length && header.every((h, i) => h === expected[i])) return;
  const missing = expected.filter((c) => !header.includes(c));
  const unexpected = header.filter((c) => !expected.includes(c));
  const duplicated = header.filter((c, i) => header.indexOf(c) !== i);
  const problems = [
    missing.length ? `missing column(s) ${missing.map((c) => `'${c}'`).join(', ')}` : '',
    unexpected.length ? `unexpected column(s) ${unexpected.map((c) => `'${c}'`).join(', ')}` : '',
    duplicated.length ? `repeated column(s) ${duplicated.map((c) => `'${c}'`).join(', ')}` : '',
  ].filter(Boolean);
  if (problems.length === 0) problems.push(`columns out of order (got ${header.map((c) => `'${c}'`).join(', ')})`);
  throw new SuperstoreImportError(`${path}: wrong header on line 1: ${problems.join('; ')}. Expected: ${expected.join(',')}`);
}

/** Fields that must agree on every line of one order. */
const ORDER_FIELDS = [
  ['Order Date', 'orderDate'],
  ['Ship Date', 'shipDate'],
  ['Ship Mode', 'shipMode'],
  ['Customer ID', 'customerId'],
  ['City', 'city'],
  ['State', 'state'],
] as const satisfies readonly (readonly [string, keyof SuperstoreLine])[];

/** Streams, parses and validates the whole file; throws SuperstoreImportError listing the bad lines. */
export async function readSuperstore(
  path: string,
): Promise<{ lines: SuperstoreLine[]; gzip: boolean; encoding: SourceEncoding; repairs: { c1: number; undefinedC1: number } }> {
  let source;
  try {
    source = await openTextSource(path);
  } catch (e) {
    if (e instanceof SourceFileError) throw new SuperstoreImportError(e.message, { cause: e });
    throw e;
  }
  const parser = parse({ info: true, relax_column_count: true, skip_empty_lines: true, bom: true });
  // pipeline (not pipe) so a read or decompression error reaches the loop below.
  pipeline(source.text(), parser, () => {});
  const lines: SuperstoreLine[] = [];
  const errors: string[] = [];
  const rowIds = new Map<number, number>();
  const orderHeads = new Map<string, SuperstoreLine>();
  let header: string[] | null = null;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      // info.lines is the line the record ends on; the record starts there for single-line records.
      const lineNo = info.lines;
      if (header === null) {
        header = record;
        checkHeader(path, header);
        continue;
      }
      if (record.length !== SUPERSTORE_COLUMNS.length) {
        errors.push(`line ${lineNo}: expected ${SUPERSTORE_COLUMNS.length} columns, got ${record.length}`);
        continue;
      }
      const parsed = lineSchema.safeParse(Object.fromEntries(SUPERSTORE_COLUMNS.map((c, i) => [c, record[i]])));
      if (!parsed.success) {
        for (const issue of parsed.error.issues) errors.push(`line ${lineNo}, column '${String(issue.path[0])}': ${issue.message}`);
        continue;
      }
      const v = parsed.data;
      const line: SuperstoreLine = {
        line: lineNo,
        rowId: v['Row ID'],
        orderId: v['Order ID'],
        orderDate: v['Order Date'],
        shipDate: v['Ship Date'],
        shipMode: v['Ship Mode'],
        customerId: v['Customer ID'],
        customerName: v['Customer Name'],
        segment: v.Segment,
        country: v.Country,
        city: v.City,
        state: v.State,
        postalCode: v['Postal Code'],
        region: v.Region,
        productId: v['Product ID'],
        category: v.Category,
        subCategory: v['Sub-Category'],
        productName: v['Product Name'],
        sales: v.Sales,
        quantity: v.Quantity,
        discount: v.Discount,
        profit: v.Profit,
      };
      const seenRow = rowIds.get(line.rowId);
      if (seenRow !== undefined) errors.push(`line ${lineNo}, column 'Row ID': ${line.rowId} repeats the Row ID of line ${seenRow}`);
      else rowIds.set(line.rowId, lineNo);
      const head = orderHeads.get(line.orderId);
      if (head) {
        for (const [column, field] of ORDER_FIELDS) {
          if (head[field] !== line[field]) {
            errors.push(
              `line ${lineNo}, column '${column}': order ${line.orderId} has '${String(line[field])}' here but '${String(head[field])}' on line ${head.line}`,
            );
          }
        }
      } else {
        orderHeads.set(line.orderId, line);
      }
      lines.push(line);
    }
  } catch (e) {
    if (e instanceof SuperstoreImportError) throw e;
    if (e instanceof SourceFileError) throw new SuperstoreImportError(e.message, { cause: e });
    const err = e as Error & { code?: string; lines?: number };
    if (typeof err.code === 'string' && err.code.startsWith('CSV_')) {
      throw new SuperstoreImportError(`${path}: not a valid CSV file: ${err.message}`, { cause: e });
    }
    throw e;
  }
  if (header === null) throw new SuperstoreImportError(`${path}: the file is empty (no header line)`);
  if (errors.length > 0) {
    const shown = errors.slice(0, MAX_ERRORS_SHOWN).map((m) => `  - ${m}`);
    if (errors.length > MAX_ERRORS_SHOWN) shown.push(`  ... and ${errors.length - MAX_ERRORS_SHOWN} more`);
    throw new SuperstoreImportError(`${path}: ${errors.length} problem(s), nothing imported:\n${shown.join('\n')}`);
  }
  if (lines.length === 0) throw new SuperstoreImportError(`${path}: no data lines after the header`);
  return { lines, gzip: source.gzip, encoding: source.encoding, repairs: source.repairs };
}

// ---------------------------------------------------------------------------------------------
// Loading

const KEY_CHUNK = 1000; // values per IN list: well below SQL Server's 2,100 parameters

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The tables whose rows have a business code (`codigo`). */
const CODED = ['categorias', 'vendedores', 'clientes', 'produtos', 'pedidos'] as const;

async function existingCodes(database: Database<OltpTables>, table: (typeof CODED)[number], codes: readonly string[]): Promise<Map<string, bigint>> {
  const found = new Map<string, bigint>();
  const coded = tablesOf(database.db, 'oltp', CODED);
  for (const part of chunks([...new Set(codes)], KEY_CHUNK)) {
    const rows = await coded.selectFrom(`oltp.${table}`).select(['id', 'codigo']).where('codigo', 'in', part).execute();
    for (const r of rows) found.set(r.codigo, BigInt(r.id));
  }
  return found;
}

async function nextIds(database: Database<OltpTables>): Promise<Record<MappedTable, bigint>> {
  const next = {} as Record<MappedTable, bigint>;
  for (const t of MAPPED_TABLES) {
    const r = await tablesOf(database.db, 'oltp', MAPPED_TABLES)
      .selectFrom(`oltp.${t}`)
      .select((eb) => eb.fn.max('id').as('m'))
      .executeTakeFirst();
    next[t] = r?.m === null || r?.m === undefined ? 1n : BigInt(r.m) + 1n;
  }
  return next;
}

/** Exact sums over the imported orders, as strings (a cast keeps SQL Server's driver off floats). */
async function loadedTotals(database: Database<OltpTables>, first: bigint, last: bigint): Promise<{ sales: string; profit: string }> {
  const r = await sql<{ sales: string | null; profit: string | null }>`
    select cast(sum(valor_liquido) as varchar(40)) as sales, cast(sum(valor_liquido - custo_total) as varchar(40)) as profit
    from oltp.itens_pedido where pedido_id between ${String(first)} and ${String(last)}`.execute(database.db);
  const row = r.rows[0];
  const norm = (v: string | null | undefined) => formatMoney(parseMoney(v ?? '0'));
  return { sales: norm(row?.sales), profit: norm(row?.profit) };
}

function toIso(at: Date | string | undefined): string {
  const d = at === undefined ? new Date() : new Date(at);
  if (Number.isNaN(d.getTime())) throw new SuperstoreImportError(`Invalid import time: '${String(at)}' (expected an ISO-8601 timestamp)`);
  return d.toISOString();
}

export async function importSuperstore(database: Database<OltpTables>, path: string, options: ImportOptions = {}): Promise<ImportReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const at = toIso(options.at);

  const file = await readSuperstore(path);
  log(`read ${file.lines.length} lines from ${path} (${file.gzip ? 'gzip, ' : ''}${file.encoding}; ${file.repairs.c1} C1 characters repaired)`);

  // Refuse a second import of the same orders.
  const orderCodes = [...new Set(file.lines.map((l) => l.orderId))];
  const already = await existingCodes(database, 'pedidos', orderCodes);
  if (already.size > 0) {
    const sample = [...already.keys()].slice(0, 3).join(', ');
    throw new SuperstoreImportError(
      `${path}: already imported: ${already.size} of the file's ${orderCodes.length} Order IDs already exist in oltp.pedidos (e.g. ${sample}); nothing written`,
    );
  }

  const lines = file.lines;
  const mapped = mapSuperstore({
    lines,
    nextId: await nextIds(database),
    existing: {
      categorias: await existingCodes(
        database,
        'categorias',
        lines.flatMap((l) => [l.category, `${l.category}/${l.subCategory}`]),
      ),
      vendedores: await existingCodes(database, 'vendedores', ['SUPERSTORE']),
      clientes: await existingCodes(
        database,
        'clientes',
        lines.map((l) => l.customerId),
      ),
      produtos: await existingCodes(
        database,
        'produtos',
        lines.map((l) => l.productId),
      ),
    },
    at,
  });

  // Parents first; each table in one bulk batch so a failed table leaves none of its rows.
  const inserted = Object.fromEntries(MAPPED_TABLES.map((t) => [t, 0])) as Record<MappedTable, number>;
  const done: MappedTable[] = [];
  try {
    for (const t of MAPPED_TABLES) {
      const rows = mapped.rows[t];
      if (rows.length === 0) continue;
      inserted[t] = await database.bulkInsert(OLTP[t], rows, { batchSize: rows.length });
      done.push(t);
      log(`oltp.${t}: ${inserted[t]} rows`);
    }
  } catch (e) {
    // Undo, children first, exactly the id ranges this import allocated and wrote.
    const undoErrors: string[] = [];
    for (const t of [...done].reverse()) {
      const ids = mapped.rows[t].map((r) => r[0] as bigint);
      const [lo, hi] = [ids[0]!, ids[ids.length - 1]!];
      try {
        await tablesOf(database.db, 'oltp', MAPPED_TABLES).deleteFrom(`oltp.${t}`).where('id', '>=', Number(lo)).where('id', '<=', Number(hi)).execute();
      } catch (u) {
        undoErrors.push(`oltp.${t} ids ${lo}..${hi}: ${(u as Error).message}`);
      }
    }
    const why = e instanceof Error ? e.message : String(e);
    const undo = undoErrors.length ? ` Undo FAILED for ${undoErrors.join('; ')}` : ' The rows written before the failure were deleted again.';
    throw new Error(`Superstore import failed while loading: ${why}.${undo}`, { cause: e });
  }

  const totals = await loadedTotals(database, mapped.orderIds.first, mapped.orderIds.last);
  const s = mapped.stats;
  return {
    file: path,
    gzip: file.gzip,
    encoding: file.encoding,
    c1Repaired: file.repairs.c1,
    c1Undefined: file.repairs.undefinedC1,
    linesRead: lines.length,
    orders: s.orders,
    items: s.items,
    customers: s.customers,
    customersWithSeveralAddresses: s.customersWithSeveralAddresses,
    customersExisting: s.customersExisting,
    products: s.products,
    productsWithSeveralNames: s.productsWithSeveralNames,
    productsExisting: s.productsExisting,
    categories: s.categories,
    duplicateLines: s.duplicateLines,
    inserted,
    totalSales: totals.sales,
    totalProfit: totals.profit,
    at,
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** The report as the CLI prints it. */
export function formatImportReport(r: ImportReport): string {
  const rows: [string, string][] = [
    ['file', `${r.file} (${r.gzip ? 'gzip, ' : ''}${r.encoding})`],
    ['C1 characters repaired', `${r.c1Repaired}${r.c1Undefined ? ` (+${r.c1Undefined} undefined in Windows-1252, now U+FFFD)` : ''}`],
    ['lines read', String(r.linesRead)],
    ['orders', String(r.orders)],
    ['items', String(r.items)],
    [
      'customers',
      `${r.customers} (${r.customersWithSeveralAddresses} with more than one address${r.customersExisting ? `, ${r.customersExisting} already in the OLTP` : ''})`,
    ],
    [
      'products',
      `${r.products} (${r.productsWithSeveralNames} with more than one name${r.productsExisting ? `, ${r.productsExisting} already in the OLTP` : ''})`,
    ],
    ['categories', String(r.categories)],
    ['duplicate lines', `${r.duplicateLines} (identical but for Row ID; kept)`],
    ['rows inserted', MAPPED_TABLES.map((t) => `${t} ${r.inserted[t]}`).join(', ')],
    ['total Sales (loaded)', r.totalSales],
    ['total Profit (loaded)', r.totalProfit],
    ['updated_at', r.at],
    ['elapsed', `${(r.elapsedMs / 1000).toFixed(1)} s`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return ['Superstore import', ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)].join('\n');
}
