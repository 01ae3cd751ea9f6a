// Extract: for each source entity, read the rows changed in its window and write them to Blob
// storage as an immutable batch. The window follows DESIGN §4.1:
//   (watermark - overlap, source clock - safety lag]
// where the upper bound is read from the source's own clock inside the same transaction (one
// snapshot) that reads the rows. Rows are read in key order, one page at a time, so memory stays
// bounded whatever the volume.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { exactDecimal, firstRows, readClock, snapshotIsolation } from '../db/portable-sql.js';
import type { BatchStore, PartLimits } from '../storage/batch-store.js';
import type { Manifest } from '../storage/batch-manifest.js';
import type { EntityDef } from './entities.js';

export interface ExtractWindow {
  from: Date | null;
  to: Date;
}

const PAGE_SIZE = 5000;

/** Turns a driver row into its JSON form: ISO timestamps, decimal strings, plain numbers. */
function toJsonRow(def: EntityDef, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of def.table.columns) {
    const v = row[c.name];
    if (v instanceof Date) out[c.name] = c.kind === 'date' ? v.toISOString().slice(0, 10) : v.toISOString();
    else if (typeof v === 'bigint') out[c.name] = Number(v);
    else out[c.name] = v ?? null;
  }
  return out;
}

function selectColumns(db: Kysely<any>, def: EntityDef) {
  return def.table.columns.map((c) => (c.kind === 'decimal' ? exactDecimal(db, c.name) : sql.ref(c.name).as(c.name)));
}

async function* readWindow(trx: Transaction<any>, def: EntityDef, window: ExtractWindow, counter: { rows: number }) {
  let lastId: number | null = null;
  for (;;) {
    let q = trx.selectFrom(`oltp.${def.table.name}`).select(selectColumns(trx, def)).where('updated_at', '<=', window.to).orderBy('id');
    if (window.from) q = q.where('updated_at', '>', window.from);
    if (lastId !== null) q = q.where('id', '>', lastId);
    const page = await firstRows(trx, q, PAGE_SIZE).execute();
    for (const row of page) {
      counter.rows++;
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
}

/**
 * Extracts one entity. `lowerBound` is the last committed watermark (null on the first run);
 * a backfill passes its own window instead.
 */
export async function extractEntity(
  source: Database,
  store: BatchStore,
  def: EntityDef,
  opts: {
    runId: string;
    folderRunId?: string;
    runDate: Date;
    lowerBound: Date | null;
    overlapMinutes: number;
    safetyLagSeconds: number;
    limits: PartLimits;
    fixedWindow?: ExtractWindow;
  },
): Promise<ExtractResult> {
  return source.db
    .transaction()
    .setIsolationLevel(snapshotIsolation(source.db))
    .execute(async (trx) => {
      const now = await readClock(trx);
      const window: ExtractWindow = opts.fixedWindow ?? {
        from: opts.lowerBound ? new Date(opts.lowerBound.getTime() - opts.overlapMinutes * 60_000) : null,
        to: new Date(now.getTime() - opts.safetyLagSeconds * 1000),
      };
      const counter = { rows: 0 };
      const written = await store.writeBatch(
        {
          runId: opts.runId,
          folderRunId: opts.folderRunId,
          entity: def.name,
          runDate: opts.runDate,
          window: { from: window.from?.toISOString() ?? null, to: window.to.toISOString() },
          dateColumns: def.dateColumns,
        },
        readWindow(trx, def, window, counter),
        opts.limits,
      );
      return { entity: def.name, window, ...written };
    });
}
