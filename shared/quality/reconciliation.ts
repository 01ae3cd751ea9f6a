// Reconciliation of the facts with the source (blocking, phase 'warehouse'): reconcile_sales,
// reconcile_discounts, reconcile_targets. The app holds both connections, so it compares the
// warehouse with the source itself (DESIGN §10), exactly: per month, a row count and money sums
// to the unit (1/10,000), computed in SQL on each side and compared in Node as exact decimals.
//
// The rule (what "the warehouse matches the source" means while the source keeps changing):
//   - cutoff = the oldest watermark (etl.watermark.high_water) of the entities the fact is built
//     from: pedidos and itens_pedido for sales and discounts, metas for targets. Every source row
//     whose updated_at is at or before its entity's watermark has been extracted and loaded
//     (DESIGN §4.1-4.2: the window's end caps late commits), so at or before the cutoff the
//     warehouse must equal the source. An entity with no watermark yet: nothing to compare, the
//     check passes ('nothing loaded yet'; backfills do not move watermarks).
//   - excluded from BOTH sides: every fact whose source rows changed after the cutoff (for an
//     item: the item or its order has updated_at > cutoff; for a target: the target), found by
//     id in the source and excluded from the warehouse by those ids. This covers changes
//     committed after the extract (edits, soft deletes, items moved to another order, an order
//     whose date moved to another month): the warehouse still holds their previous version.
//   - excluded from both sides too: facts whose source row, in its current version, is
//     quarantined (etl.rejected_row holds that id with the same updated_at; for an order, all its
//     items): source = loaded + rejected (DESIGN §4.5), and the quarantine is reported by the
//     load. Once the row is corrected (a new updated_at) it is compared again.
//   - compared: sales: live items (deleted_at null, any status) by the UTC month of their order's
//     data_pedido, against live facts (removido = false) of dw.fact_vendas by the month of
//     data_pedido_key (dw.dim_data.ano_mes): count, gross, discount, net. Discounts: the same over
//     items with a campaign or a discount > 0 (the sales load's rule), against dw.fact_descontos.
//     Targets: metas by the month of mes against dw.fact_metas by mes_key: count and valor_meta.
//   - so a change at or before the cutoff that the warehouse does not hold (a row written with an
//     updated_at in the past, an update that did not move updated_at, a lost or altered fact)
//     fails the check, with the month in the samples.
// The source is read in one snapshot transaction (a row changing between its queries would
// otherwise be counted on one side only). When checks run concurrently (on connection pools,
// CheckInput.concurrent) the warehouse's whole-history figures are read at the same time, the ids
// to take out of them once the source has named them; otherwise (PGlite) one after the other. On
// the embedded default, where source and warehouse are one PGlite connection, do not call it
// inside a warehouse transaction.
import type { Kysely } from 'kysely';
import { snapshotIsolation } from '../db/portable-sql.js';
import type { OltpTables, WarehouseTables } from '../db/schema/index.js';
import { formatMoney } from '../model/money.js';
import { MAX_SAMPLES, type CheckInput, type CheckOutcome, type QualityCheck } from './check.js';
import { both } from './concurrency.js';
import { accumulate, differingMonths, overall, type AggregateRow, type MonthTotals } from './month-totals.js';
import { quarantinedRowsQuery, quarantinedVersions } from './quarantined-rows.js';
import { DISCOUNTS, SALES, TARGETS, readKey, type PrefetchedReads, type ReconciledFact, type SourceAggregate } from './reconciliation-queries.js';

/** Ids per `in (...)` list: well under SQL Server's 2,100 parameters. */
const IDS_PER_QUERY = 1000;

const chunks = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / IDS_PER_QUERY) }, (_, i) => items.slice(i * IDS_PER_QUERY, (i + 1) * IDS_PER_QUERY));

const time = (v: Date | string) => new Date(v).getTime();

/** Aggregate rows of a fact (`month`, `n`, `s0`, `s1`...: one sum per measure). */
const rowsOf = (rows: readonly Record<string, unknown>[], fact: ReconciledFact): AggregateRow[] =>
  rows.map((r) => ({
    month: r.month as string | null,
    n: (r.n ?? 0) as number | string | bigint,
    sums: fact.measures.map((_, k) => r[`s${k}`] as string | null),
  }));

const watermarksQuery = (dw: Kysely<WarehouseTables>, fact: ReconciledFact) =>
  dw.selectFrom('etl.watermark').select(['entity', 'high_water']).where('entity', 'in', fact.feeds);

/** The cutoff (oldest watermark of the feeds), or the feeds that have none. */
async function cutoffOf(dw: Kysely<WarehouseTables>, fact: ReconciledFact): Promise<{ cutoff: Date } | { missing: string[] }> {
  const rows = await watermarksQuery(dw, fact).execute();
  const missing = fact.feeds.filter((f) => !rows.some((r) => r.entity === f));
  if (missing.length > 0) return { missing };
  return { cutoff: new Date(Math.min(...rows.map((r) => time(r.high_water)))) };
}

interface SourceSide {
  totals: MonthTotals;
  /** fact ids left out of both sides */
  excluded: Set<number>;
  changed: number;
  quarantined: number;
  /** the aggregate was read ahead of the gate */
  early: boolean;
}

/** What one read of the source returned: aggregate rows, and those of the quarantined rows to take out. */
interface SourceRead {
  rows: Record<string, unknown>[];
  heldRows: Record<string, unknown>[];
  excluded: Set<number>;
  changed: number;
  quarantined: number;
}

/** Reads shared by the checks of one run of the catalogue (the same input object), by readKey. */
const sourceReads = new WeakMap<CheckInput, Map<string, Promise<SourceRead & { early: boolean }>>>();

/** The source's aggregate and the fact ids changed after the cutoff, on `trx` (one snapshot). */
async function readAggregate(trx: Kysely<OltpTables>, fact: ReconciledFact, cutoff: Date): Promise<SourceAggregate> {
  const rows = await fact.source(trx, cutoff).execute();
  const changed = new Set<number>();
  for (const q of fact.changed(trx, cutoff)) for (const r of await q.execute()) changed.add(Number(r.id));
  return { rows, changed };
}

/** Runs `read` in one snapshot of the source. */
const inSnapshot = <T>(oltp: Kysely<OltpTables>, read: (trx: Kysely<OltpTables>) => Promise<T>): Promise<T> =>
  oltp.transaction().setIsolationLevel(snapshotIsolation(oltp)).execute(read);

/** Adds to the aggregate what the quarantined source rows (at or before the cutoff, unchanged since) contribute, to take out. */
async function withHeld(
  trx: Kysely<OltpTables>,
  fact: ReconciledFact,
  cutoff: Date,
  quarantined: Map<string, Map<string, Set<number>>>,
  { rows, changed }: SourceAggregate,
): Promise<SourceRead> {
  const held = new Set<number>();
  for (const feed of fact.quarantine) {
    const versions = quarantined.get(feed.entity)!;
    const keys = [...versions.keys()].filter((k) => /^\d+$/.test(k)).map(Number);
    for (const part of chunks(keys)) {
      for (const r of await feed.rows(trx, part).execute()) {
        if (versions.get(String(r.key))?.has(time(r.updated_at))) held.add(Number(r.fact_id));
      }
    }
  }
  // the source figures already leave out what changed after the cutoff; quarantined rows at or before it are taken out
  const heldBefore = [...held].filter((id) => !changed.has(id));
  const heldRows: Record<string, unknown>[] = [];
  for (const part of chunks(heldBefore)) heldRows.push(...(await fact.source(trx, cutoff, part).execute()));
  return { rows, heldRows, excluded: new Set([...changed, ...held]), changed: changed.size, quarantined: held.size };
}

/**
 * The source's figures and the fact ids to leave out: in one snapshot, or, given an `aggregate`
 * read ahead of the gate, the quarantined rows in a snapshot of their own. The two snapshots agree
 * unless a quarantined row changed in between, which can only show as a difference: the check
 * then reads again in one snapshot before it reports one (reconcile).
 */
async function readSource(
  oltp: Kysely<OltpTables>,
  fact: ReconciledFact,
  cutoff: Date,
  quarantined: Map<string, Map<string, Set<number>>>,
  aggregate?: SourceAggregate,
): Promise<SourceRead> {
  return inSnapshot(oltp, async (trx) => withHeld(trx, fact, cutoff, quarantined, aggregate ?? (await readAggregate(trx, fact, cutoff))));
}

async function sourceSide(input: CheckInput, oltp: Kysely<OltpTables>, fact: ReconciledFact, cutoff: Date, fresh: boolean): Promise<SourceSide> {
  let reads = sourceReads.get(input);
  if (!reads) sourceReads.set(input, (reads = new Map()));
  const key = readKey(fact, cutoff);
  const early = fresh ? undefined : input.prefetched?.get(key);
  const cacheKey = early ? `${key} early` : key;
  let read = reads.get(cacheKey);
  if (!read) {
    // kept before its first await: a check running at the same time (discounts beside sales) waits for this read
    read = (async () => {
      const quarantined = new Map<string, Map<string, Set<number>>>();
      for (const feed of fact.quarantine) quarantined.set(feed.entity, await quarantinedVersions(input.dw, feed.entity));
      // a read ahead that failed is no reason to fail the check: it reads now
      const got = await early?.catch(() => undefined);
      return { ...(await readSource(oltp, fact, cutoff, quarantined, got)), early: got !== undefined };
    })();
    // a failed read is not kept: the next check reads again (and reports its own error)
    read.catch(() => reads.delete(cacheKey));
    reads.set(cacheKey, read);
  }
  const r = await read;
  const mine = (rows: Record<string, unknown>[]) => rowsOf(rows.filter(fact.ofSource), fact);
  const totals = accumulate(accumulate(new Map(), mine(r.rows)), mine(r.heldRows), -1n);
  return { totals, excluded: r.excluded, changed: r.changed, quarantined: r.quarantined, early: r.early };
}

async function reconcile(fact: ReconciledFact, input: CheckInput, fresh = false): Promise<CheckOutcome> {
  if (!input.oltp) throw new Error(`${fact.name} compares the warehouse with the source: it needs the source connection (CheckInput.oltp)`);
  const expected = 'source = warehouse in every month, to the unit (rows changed after the cutoff or quarantined left out)';
  const found = await cutoffOf(input.dw, fact);
  if ('missing' in found) return { failing: 0, observed: `nothing loaded yet (no watermark for ${found.missing.join(', ')})`, expected, samples: [] };
  const { cutoff } = found;
  const oltp = input.oltp;
  // on pools the two databases are read at once: the warehouse's figures do not depend on the source's
  const [source, whole] = await both(
    input.concurrent === true,
    () => sourceSide(input, oltp, fact, cutoff, fresh),
    () => fact.warehouse(input.dw).execute(),
  );

  const width = fact.measures.length;
  const warehouse = accumulate(new Map(), rowsOf(whole, fact));
  for (const part of chunks([...source.excluded])) accumulate(warehouse, rowsOf(await fact.warehouse(input.dw, part).execute(), fact), -1n);

  const differences = differingMonths(source.totals, warehouse, fact.measures, fact.countLabel);
  // a difference is only ever reported from one snapshot of the source read now
  if (differences.length > 0 && source.early) return reconcile(fact, input, true);
  const all = overall(source.totals, width);
  const scope =
    `as of ${cutoff.toISOString()}: ${source.totals.size} month(s), ${all.n} ${fact.countLabel}, ${fact.measures.at(-1)} ${formatMoney(all.sums[width - 1]!)} at the source` +
    `${source.early ? " (read at the fact load's start)" : ''}; left out: ${source.changed} changed after the cutoff, ${source.quarantined} quarantined`;
  return {
    failing: differences.length,
    observed: differences.length === 0 ? `source = warehouse ${scope}` : `${differences.length} month(s) differ ${scope}`,
    expected,
    samples: differences.slice(0, MAX_SAMPLES),
  };
}

/**
 * Starts the reconciliations' source reads for the cutoff a fact load will leave (`watermarks`:
 * every entity's watermark after the load), before the load runs, so that on pools the source
 * is read while the warehouse loads (the whole-history read is most of the gate's time). Each
 * read runs in a snapshot of its own; a read that fails is left for the gate to redo. The gate
 * uses a read only when the cutoff it finds is the one read for (readKey).
 */
export function prefetchReconciliation(oltp: Kysely<OltpTables>, watermarks: ReadonlyMap<string, Date>, checks: readonly QualityCheck[]): PrefetchedReads {
  const reads = new Map<string, Promise<SourceAggregate>>();
  for (const fact of [SALES, DISCOUNTS, TARGETS]) {
    // a fact's reconciliation check has its name
    if (!checks.some((c) => c.name === fact.name)) continue;
    const marks = fact.feeds.map((f) => watermarks.get(f));
    if (marks.some((m) => m === undefined)) continue;
    const cutoff = new Date(Math.min(...marks.map((m) => m!.getTime())));
    const key = readKey(fact, cutoff);
    if (reads.has(key)) continue;
    const read = inSnapshot(oltp, (trx) => readAggregate(trx, fact, cutoff));
    // awaited (or not) by the gate, which reads again if this failed: never an unhandled rejection
    read.catch(() => undefined);
    reads.set(key, read);
  }
  return reads;
}

const check = (fact: ReconciledFact): QualityCheck => ({
  name: fact.name,
  severity: 'blocking',
  phase: 'warehouse',
  description: fact.description,
  startsFirst: true,
  run: (input) => reconcile(fact, input),
  queries: (db, oltp) => {
    const at = new Date(0);
    return [
      watermarksQuery(db, fact),
      ...fact.quarantine.map((f) => quarantinedRowsQuery(db, f.entity, {})),
      fact.source(oltp, at),
      fact.source(oltp, at, [1]),
      ...fact.changed(oltp, at),
      ...fact.quarantine.map((f) => f.rows(oltp, [1])),
      fact.warehouse(db),
      fact.warehouse(db, [1]),
    ];
  },
});

export const RECONCILE_SALES = check(SALES);
export const RECONCILE_DISCOUNTS = check(DISCOUNTS);
export const RECONCILE_TARGETS = check(TARGETS);
