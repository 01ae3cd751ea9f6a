// Extract: for each source entity, read the rows changed in its window and write them to Blob
// storage as an immutable batch. The window (extract-window.ts, DESIGN §4.1) is measured against
// the source's own clock, read inside the same transaction (one snapshot) that reads the rows,
// and capped by the oldest transaction still open on the source (late commits, DESIGN §10).
// On PostgreSQL sources the rows move as COPY bytes (extract-stream.ts); on SQL Server they are
// read in key order, one page at a time through Kysely (memory stays bounded whatever the volume),
// and written in the same part format (COPY text, batch-manifest.ts), with the control totals of
// the rows (sums of the money columns) in the manifest.
import { sql, type Kysely, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { tablesOf, type OltpTables, type SharedTables, type TablesIn } from '../db/schema/index.js';
import { exactDecimal, firstRows, readClock, readOpenTransactions, snapshotIsolation, type OpenTransactionsRead } from '../db/portable-sql.js';
import type { BatchStore, PartLimits } from '../storage/batch-store.js';
import { totalledColumns, type Manifest } from '../storage/batch-manifest.js';
import type { EntityDef } from './entities.js';
import { cappedExtractWindow, windowText, type ExtractWindow, type WindowCap } from './extract-window.js';
import { extractByCopy } from './extract-stream.js';
import { toJsonRow } from './json-row.js';

const PAGE_SIZE = 5000;

/** Every source table, seen with the columns all of them have (id, created_at, updated_at). */
type SourceTable = TablesIn<OltpTables, 'oltp'>;
type SourceQuery<O> = SelectQueryBuilder<SharedTables<OltpTables, SourceTable>, SourceTable, O>;

/** The entity's columns, listed at run time by the entity (def.table), hence sql.ref. */
function selectColumns(db: Kysely<OltpTables>, def: EntityDef) {
  return def.table.columns.map((c) => (c.kind === 'decimal' ? exactDecimal(db, c.name) : sql.ref(c.name).as(c.name)));
}

/** Source rows changed in the window: updated_at in (from, to]. The extract and a backfill's dry run count the same rows. */
export function changedIn<O>(q: SourceQuery<O>, window: ExtractWindow): SourceQuery<O> {
  const upTo = q.where('updated_at', '<=', window.to);
  return window.from ? upTo.where('updated_at', '>', window.from) : upTo;
}

/** Rows read, and how many of them fall in the two ranges the late-row check compares (extract-window.ts lateRowsAtLeast). */
interface ReadCounts {
  rows: number;
  /** rows at or below the previous window's end (the watermark): the overlap re-read */
  overlapRows: number;
  /** rows in (to - overlap, to]: what the next run's overlap will re-read */
  tailRows: number;
}

async function* readWindow(
  trx: Transaction<OltpTables>,
  def: EntityDef,
  window: ExtractWindow,
  counter: ReadCounts,
  ranges: { watermark: Date | null; tailFrom: Date },
) {
  const source = tablesOf(trx, 'oltp');
  let lastId: number | null = null;
  for (;;) {
    let q = changedIn(source.selectFrom(`oltp.${def.name}`).select(selectColumns(trx, def)), window).orderBy('id');
    if (lastId !== null) q = q.where('id', '>', lastId);
    const page = await firstRows(trx, q, PAGE_SIZE).execute();
    for (const row of page) {
      counter.rows++;
      const updatedAt = new Date(row.updated_at as Date | string).getTime();
      if (ranges.watermark && updatedAt <= ranges.watermark.getTime()) counter.overlapRows++;
      if (updatedAt > ranges.tailFrom.getTime()) counter.tailRows++;
      yield toJsonRow(def, row);
    }
    if (page.length < PAGE_SIZE) return;
    lastId = Number(page[page.length - 1]!.id);
  }
}

export interface ExtractResult {
  entity: string;
  window: ExtractWindow;
  manifest: Manifest;
  manifestPath: string;
  manifestSha256: string;
  /** how the open-transaction cap shaped the window */
  cap: WindowCap;
  /** rows read at or below the watermark (the overlap re-read), see ReadCounts */
  overlapRows: number;
  /** rows read in (to - overlap, to] */
  tailRows: number;
}

/** What an entity's extract needs besides the source, the store and the entity. */
export interface ExtractOptions {
  runId: string;
  /** the batch folder's run id (a retried attempt writes a folder of its own); default runId */
  folderRunId?: string;
  runDate: Date;
  /** the last committed watermark; null on the first run */
  lowerBound: Date | null;
  overlapMinutes: number;
  safetyLagSeconds: number;
  limits: PartLimits;
  /** a backfill's own window, instead of the watermark's */
  fixedWindow?: ExtractWindow;
  /**
   * The source's open transactions, read before this entity's snapshot starts (run-extract.ts
   * reads them once for all the run's entities); read here when absent.
   */
  openTransactions?: OpenTransactionsRead;
}

/**
 * Extracts one entity. `lowerBound` is the last committed watermark (null on the first run);
 * a backfill passes its own window instead.
 */
export async function extractEntity(source: Database<OltpTables>, store: BatchStore, def: EntityDef, opts: ExtractOptions): Promise<ExtractResult> {
  // The open transactions are read BEFORE the snapshot transaction starts, on purpose. A
  // transaction T whose rows the snapshot cannot see either was open when we looked (so the cap
  // is at or before its start) or began after we looked (so its start is after observed_at, which
  // also caps). Read inside the snapshot, T could commit between the snapshot (taken at the start
  // of the first statement) and the moment pg_stat_activity is scanned: invisible to the
  // snapshot and absent from the list, its rows would be lost. A backfill reads the window it
  // asked for and needs no cap.
  const openTransactions = opts.fixedWindow
    ? { status: 'unavailable' as const, reason: 'backfill' }
    : (opts.openTransactions ?? (await readOpenTransactions(source.db)));
  if (source.copy) return extractByCopy(source.copy, source.engine === 'pglite', store, def, opts, openTransactions);
  return source.db
    .transaction()
    .setIsolationLevel(snapshotIsolation(source.db))
    .execute(async (trx) => {
      const { window, cap } = cappedExtractWindow({
        watermark: opts.lowerBound,
        sourceClock: await readClock(trx),
        overlapMinutes: opts.overlapMinutes,
        safetyLagSeconds: opts.safetyLagSeconds,
        openTransactions,
        backfill: opts.fixedWindow,
      });
      const counter: ReadCounts = { rows: 0, overlapRows: 0, tailRows: 0 };
      const ranges = { watermark: opts.fixedWindow ? null : opts.lowerBound, tailFrom: new Date(window.to.getTime() - opts.overlapMinutes * 60_000) };
      const written = await store.writeBatch(
        {
          runId: opts.runId,
          folderRunId: opts.folderRunId,
          entity: def.name,
          runDate: opts.runDate,
          window: windowText(window),
          dateColumns: def.dateColumns,
          columns: def.table.columns.map((c) => c.name),
          // the control totals are summed exactly from the rows as they are written: the very rows of the batch
          totalColumns: totalledColumns(def.table.columns),
        },
        readWindow(trx, def, window, counter, ranges),
        opts.limits,
      );
      return { entity: def.name, window, ...written, cap, overlapRows: counter.overlapRows, tailRows: counter.tailRows };
    });
}
