// The extract on PostgreSQL sources (server and PGlite): the window's rows leave the database as
// COPY text bytes and go to Blob storage without becoming JavaScript objects (DESIGN §10 "move
// bytes, not objects"). Everything happens in one REPEATABLE READ snapshot: the source clock (the
// window's end), one aggregate query (row count, the late-row check's overlap/tail counts, the
// date range for the calendar, the control totals: sums of the money columns) and the COPY itself,
// so the counts and sums describe exactly the rows copied.
//
// COPY takes no bind parameters and no value is ever inlined into SQL: the window bounds (and
// PGlite's paging key) are set with a parameterised set_config(..., true) - local to the
// snapshot's transaction - and the COPY's query reads them back with current_setting(). Exported
// snapshots would also work for the server, but not for PGlite's single session; one mechanism
// serves both.
//
// Value text is the JSON form's (json-row.ts): timestamps truncated to milliseconds in UTC ISO-8601
// (to_char at UTC: independent of the session's TimeZone and DateStyle), dates YYYY-MM-DD, decimals
// exact, booleans t/f, NULL \N; COPY escapes tabs, newlines and backslashes.
import type { CopyChannel, SnapshotSession } from '../db/database.js';
import { quoteIdent } from '../db/copy-text.js';
import { formatMoney, parseMoney } from '../model/money.js';
import { PART_FORMAT, totalledColumns } from '../storage/batch-manifest.js';
import type { BatchStore } from '../storage/batch-store.js';
import type { EntityDef } from './entities.js';
import { cappedExtractWindow, windowText, type ExtractWindow, type OpenTransactions, type WindowCap } from './extract-window.js';
import type { ExtractOptions, ExtractResult } from './extract.js';

const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** The select list of the COPY: each column as the text its JSON form holds. */
export function copySelectList(def: Pick<EntityDef, 'table'>): string {
  return def.table.columns
    .map((c) => {
      const col = quoteIdent(c.name);
      // to_char gives NULL for infinity: the value's own text keeps it (the contract rejects it)
      if (c.kind === 'timestamp') return `coalesce(to_char(${col} AT TIME ZONE 'UTC', ${ISO_MS}), ${col}::text) AS ${col}`;
      if (c.kind === 'date') return `coalesce(to_char(${col}, 'YYYY-MM-DD'), ${col}::text) AS ${col}`;
      return col;
    })
    .join(', ');
}

const table = (def: EntityDef) => `${quoteIdent('oltp')}.${quoteIdent(def.name)}`;

/** The COPY's query: the window from the snapshot's settings; paged by key when `paged`. */
function windowSelect(def: EntityDef, paged: boolean): string {
  const where = [
    `"updated_at" <= current_setting('etl.window_to')::timestamptz`,
    `"updated_at" > current_setting('etl.window_from')::timestamptz`,
    ...(paged ? [`"id" > current_setting('etl.after_id')::bigint`] : []),
  ];
  return `SELECT ${copySelectList(def)} FROM ${table(def)} WHERE ${where.join(' AND ')} ORDER BY "id"${paged ? ` LIMIT current_setting('etl.page_rows')::bigint` : ''}`;
}

interface WindowFacts {
  rows: number;
  overlapRows: number;
  tailRows: number;
  dateRange: { min: string; max: string } | null;
  /** the manifest's control totals: column -> exact sum with 4 decimals */
  totals: Record<string, string>;
}

/** One aggregate over the window, in the snapshot: what the row-by-row extract counted as it went. */
async function windowFacts(
  s: SnapshotSession,
  def: EntityDef,
  window: ExtractWindow,
  ranges: { watermark: Date | null; tailFrom: Date },
): Promise<WindowFacts> {
  const dateCols = def.dateColumns.map((name) => def.table.columns.find((c) => c.name === name)!);
  const moneyCols = totalledColumns(def.table.columns);
  const day = (agg: string, c: (typeof dateCols)[number]) =>
    c.kind === 'date' ? `to_char(${agg}(${quoteIdent(c.name)}), 'YYYY-MM-DD')` : `to_char(${agg}(${quoteIdent(c.name)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
  // the row-by-row extract compared the millisecond Date of updated_at
  const ms = `date_trunc('milliseconds', "updated_at")`;
  const text = [
    `SELECT count(*) AS rows`,
    `count(*) FILTER (WHERE ${ms} <= $3::timestamptz) AS overlap_rows`,
    `count(*) FILTER (WHERE ${ms} > $4::timestamptz) AS tail_rows`,
    ...dateCols.flatMap((c, i) => [`${day('min', c)} AS min_${i}`, `${day('max', c)} AS max_${i}`]),
    // numeric sums are exact; text, so no driver turns them into floats
    ...moneyCols.map((c, i) => `coalesce(sum(${quoteIdent(c)}), 0)::text AS sum_${i}`),
  ].join(', ');
  const where = window.from
    ? `"updated_at" <= $1::timestamptz AND "updated_at" > $2::timestamptz`
    : `"updated_at" <= $1::timestamptz AND $2::timestamptz IS NULL`;
  const [row] = await s.query<Record<string, number | string | null>>(`${text} FROM ${table(def)} WHERE ${where}`, [
    window.to,
    window.from,
    ranges.watermark,
    ranges.tailFrom,
  ]);
  let min: string | null = null;
  let max: string | null = null;
  dateCols.forEach((_c, i) => {
    const lo = row![`min_${i}`] as string | null;
    const hi = row![`max_${i}`] as string | null;
    if (lo !== null && (min === null || lo < min)) min = lo;
    if (hi !== null && (max === null || hi > max)) max = hi;
  });
  return {
    rows: Number(row!.rows),
    overlapRows: Number(row!.overlap_rows),
    tailRows: Number(row!.tail_rows),
    dateRange: min !== null && max !== null ? { min, max } : null,
    totals: Object.fromEntries(moneyCols.map((c, i) => [c, formatMoney(parseMoney(row![`sum_${i}`] as string))])),
  };
}

/** PGlite hands a COPY's output over as one Blob: pages of this many rows, by key, bound its memory. */
const PGLITE_PAGE_ROWS = 20_000;

/** The COPY bytes of the window, one COPY (server) or key pages (PGlite). */
async function* windowBytes(s: SnapshotSession, def: EntityDef, pageRows: number | null): AsyncGenerator<Buffer> {
  if (pageRows === null) {
    yield* s.copyOut(windowSelect(def, false));
    return;
  }
  if (def.table.columns[0]?.name !== 'id') throw new Error(`${def.name}: paging needs id as the first column`);
  let after = '-9223372036854775808';
  for (;;) {
    await s.query(`SELECT set_config('etl.after_id', $1, true), set_config('etl.page_rows', $2, true)`, [after, String(pageRows)]);
    let rows = 0;
    let last: Buffer | null = null;
    for await (const chunk of s.copyOut(windowSelect(def, true))) {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) rows++;
      last = chunk;
      yield chunk;
    }
    if (rows < pageRows || last === null) return;
    // the last row's id: its first field (a page is one Blob, so one chunk)
    const end = last.length - 1;
    const start = last.lastIndexOf(10, end - 1) + 1;
    after = last.subarray(start, last.indexOf(9, start)).toString('latin1');
  }
}

export async function extractByCopy(
  copy: CopyChannel,
  pageByKey: boolean,
  store: BatchStore,
  def: EntityDef,
  opts: ExtractOptions,
  openTransactions: OpenTransactions,
): Promise<ExtractResult> {
  return copy.snapshot(async (s) => {
    const [clock] = await s.query<{ now: Date | string }>('SELECT now() AS now');
    const { window, cap }: { window: ExtractWindow; cap: WindowCap } = cappedExtractWindow({
      watermark: opts.lowerBound,
      sourceClock: new Date(clock!.now),
      overlapMinutes: opts.overlapMinutes,
      safetyLagSeconds: opts.safetyLagSeconds,
      openTransactions,
      backfill: opts.fixedWindow,
    });
    const ranges = { watermark: opts.fixedWindow ? null : opts.lowerBound, tailFrom: new Date(window.to.getTime() - opts.overlapMinutes * 60_000) };
    const facts = await windowFacts(s, def, window, ranges);
    await s.query(`SELECT set_config('etl.window_to', $1, true), set_config('etl.window_from', $2, true)`, [
      window.to.toISOString(),
      window.from?.toISOString() ?? '-infinity',
    ]);
    const written = await store.writeBatch(
      {
        runId: opts.runId,
        folderRunId: opts.folderRunId,
        entity: def.name,
        runDate: opts.runDate,
        window: windowText(window),
        dateColumns: def.dateColumns,
      },
      {
        format: PART_FORMAT,
        columns: def.table.columns.map((c) => c.name),
        chunks: windowBytes(s, def, pageByKey ? PGLITE_PAGE_ROWS : null),
        dateRange: facts.dateRange,
        totals: facts.totals,
      },
      opts.limits,
    );
    // same snapshot, same rows: a difference is a bug here, never a property of the data
    if (written.manifest.rowCount !== facts.rows)
      throw new Error(`${def.name}: copied ${written.manifest.rowCount} rows but the window holds ${facts.rows} in the same snapshot`);
    return { entity: def.name, window, ...written, cap, overlapRows: facts.overlapRows, tailRows: facts.tailRows };
  });
}
