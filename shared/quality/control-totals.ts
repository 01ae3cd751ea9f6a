// control_totals (blocking; phases 'dimensions' and 'facts'): nothing was lost or changed between
// the source and the warehouse's staging. Inside the load's transaction, after staging and
// quarantine, for each entity of input.batches the phase loads (entities.ts loadedBy):
//
//   rows:   staged rows + rows quarantined for this run and entity = manifest.rowCount
//   money:  per money column (batch-manifest.ts totalledColumns), sum over the staged rows + sum
//           over those quarantined rows = manifest.totals[column]
//
// The manifest's figures were computed at the source, in the extract's snapshot, over the rows
// it wrote (DESIGN §4.5: source count = loaded + rejected, per entity per run).
//
// Rules for the quarantined side:
//   - a rejected row's money value is read from its raw row (the extracted JSON form); a null
//     counts 0. When one of them is no exact decimal (absent, text, more than 4 places: possibly
//     why it was rejected), that column cannot be summed: it is left out of the comparison and
//     observed says so; the row still counts.
//   - a row whose same version (id, updated_at) an earlier run already quarantined is not written
//     again (staging.ts quarantine): when rows are missing, the earlier runs' quarantined rows
//     whose version lies in this batch's window and whose key is neither staged nor quarantined
//     by this run are counted as this batch's (one per key). Known limit: if such a row changed
//     again after the window's end before the extract, it is counted though the batch did not
//     hold it, and the check fails; the next run re-reads it and passes.
// Duplicate keys: staging collapses them to the latest version (DESIGN §4.3), so their other
// versions are neither staged nor quarantined. The extract reads one snapshot, where a key is
// one row, so a batch whose manifest has totals (written by the extract since control totals)
// has none: every row it lacks is lost, and the check is strict. A manifest without totals
// (written before them, or by hand) may have had duplicates: its rows are compared as staged +
// quarantined <= rowCount, a shortfall is named in observed (collapsed duplicates, or lost: such a
// batch cannot tell), and no money is compared.
import { sql, type Kysely } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import { tablesOf } from '../db/schema/index.js';
import { formatMoney, parseMoney } from '../model/money.js';
import { ENTITIES, entity as entityDef, type EntityName } from '../pipeline/entities.js';
import { totalledColumns, type Manifest } from '../storage/batch-manifest.js';
import { MAX_SAMPLES, sampleKey, type CheckInput, type CheckOutcome, type Phase, type QualityCheck } from './check.js';
import { moneyOf, quarantinedRows, quarantinedRowsQuery, type QuarantinedRow } from './quarantined-rows.js';

/** Keys per `in (...)` list: well under SQL Server's 2,100 parameters. */
const KEYS_PER_QUERY = 1000;

/** The staged rows of an entity: count and the sum of each money column, as exact text. */
export function stagedTotalsQuery(dw: Kysely<WarehouseTables>, name: EntityName) {
  const money = totalledColumns(entityDef(name)!.table.columns);
  return tablesOf(dw, 'stg')
    .selectFrom(`stg.${name}`)
    .select((eb) => [
      eb.fn.countAll().as('n'),
      // cast to text in SQL: exact on every engine (SQL Server's driver turns decimals into floats)
      ...money.map((c, i) => sql<string | null>`cast(sum(${sql.ref(c)}) as varchar(40))`.as(`s${i}`)),
    ]);
}

/** Which of these keys are staged. */
function stagedKeysQuery(dw: Kysely<WarehouseTables>, name: EntityName, keys: readonly number[]) {
  return tablesOf(dw, 'stg').selectFrom(`stg.${name}`).select('id').where('id', 'in', keys);
}

interface EntityFigures {
  rows: bigint;
  sums: Map<string, bigint>;
  /** money columns that cannot be summed over the quarantined rows */
  unsummable: Set<string>;
}

/** Adds quarantined rows to the figures (their money read from the raw rows). */
function addQuarantined(f: EntityFigures, rows: readonly QuarantinedRow[], money: readonly string[]): void {
  for (const r of rows) {
    f.rows += 1n;
    for (const c of money) {
      const v = moneyOf(r.fields, c);
      if (v === undefined) f.unsummable.add(c);
      else f.sums.set(c, (f.sums.get(c) ?? 0n) + v);
    }
  }
}

const within = (v: number | null, window: Manifest['window']) =>
  v !== null && v <= Date.parse(window.to) && (window.from === null || v > Date.parse(window.from));

/**
 * Rows of the batch an earlier run quarantined in the same version, so this run wrote none (see
 * the header): one per key, in the window, neither staged nor quarantined by this run.
 */
async function requarantined(
  dw: Kysely<WarehouseTables>,
  name: EntityName,
  manifest: Manifest,
  runId: string,
  own: readonly QuarantinedRow[],
): Promise<QuarantinedRow[]> {
  const ownKeys = new Set(own.map((r) => r.businessKey));
  const byKey = new Map<string, QuarantinedRow>();
  for (const r of await quarantinedRows(dw, name, { exceptRun: runId })) {
    if (r.businessKey === null || ownKeys.has(r.businessKey) || !within(r.version, manifest.window)) continue;
    const seen = byKey.get(r.businessKey);
    if (!seen || (seen.version ?? 0) < (r.version ?? 0)) byKey.set(r.businessKey, r);
  }
  const keys = [...byKey.keys()].filter((k) => /^\d+$/.test(k)).map(Number);
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    for (const s of await stagedKeysQuery(dw, name, keys.slice(i, i + KEYS_PER_QUERY)).execute()) byKey.delete(String(s.id));
  }
  return [...byKey.values()];
}

async function entityFigures(dw: Kysely<WarehouseTables>, name: EntityName, manifest: Manifest, runId: string): Promise<EntityFigures> {
  const money = totalledColumns(entityDef(name)!.table.columns);
  const staged = (await stagedTotalsQuery(dw, name).executeTakeFirst()) as Record<string, string | number | bigint | null> | undefined;
  const f: EntityFigures = {
    rows: BigInt(staged?.n ?? 0),
    sums: new Map(money.map((c, i) => [c, staged?.[`s${i}`] == null ? 0n : parseMoney(String(staged[`s${i}`]))])),
    unsummable: new Set(),
  };
  const own = await quarantinedRows(dw, name, { run: runId });
  addQuarantined(f, own, money);
  if (f.rows < BigInt(manifest.rowCount)) addQuarantined(f, await requarantined(dw, name, manifest, runId, own), money);
  return f;
}

async function run(phase: Phase, input: CheckInput): Promise<CheckOutcome> {
  const batches = [...(input.batches ?? [])].filter(([name]) => entityDef(name)?.loadedBy === phase);
  const expected = 'staged + quarantined = the manifest, in rows and in the sum of every money column';
  if (batches.length === 0) return { failing: 0, observed: 'no batch to compare', expected, samples: [] };
  const failures: string[] = [];
  const notes: string[] = [];
  let rows = 0;
  for (const [name, manifest] of batches) {
    // the load quarantines under the run it loads, the manifest's (load-step.ts checks they agree)
    const f = await entityFigures(input.dw, name, manifest, input.runId ?? manifest.runId);
    rows += manifest.rowCount;
    const short = BigInt(manifest.rowCount) - f.rows;
    if (short < 0n || (short > 0n && manifest.totals))
      failures.push(sampleKey({ entity: name, column: 'rows', manifest: manifest.rowCount, staged_plus_quarantined: f.rows }));
    if (!manifest.totals) {
      const collapsed = short > 0n ? `, ${short} neither staged nor quarantined (duplicate keys collapsed, or lost: it cannot tell)` : '';
      notes.push(`${name}: the manifest has no totals (written before them), rows compared only${collapsed}`);
      continue;
    }
    for (const [column, total] of Object.entries(manifest.totals)) {
      if (f.unsummable.has(column)) {
        notes.push(`${name}.${column}: a quarantined value is no exact decimal, not compared`);
        continue;
      }
      const got = f.sums.get(column);
      if (got === undefined) continue; // a column the entity no longer has
      if (got !== parseMoney(total)) failures.push(sampleKey({ entity: name, column, manifest: total, staged_plus_quarantined: formatMoney(got) }));
    }
  }
  const compared = `${batches.length} batch(es), ${rows} rows`;
  return {
    failing: failures.length,
    observed: [failures.length === 0 ? `${compared} add up` : `${failures.length} figure(s) differ in ${compared}`, ...notes].join('; '),
    expected,
    samples: failures.slice(0, MAX_SAMPLES),
  };
}

const controlTotals = (phase: 'dimensions' | 'facts'): QualityCheck => ({
  name: 'control_totals',
  severity: 'blocking',
  phase,
  description:
    'Every row the extract wrote was staged or quarantined, and the money columns of staged + quarantined rows add up to the sums the extract computed at the source, to the unit.',
  run: (input) => run(phase, input),
  // every statement it may send, per entity of the phase
  queries: (db) =>
    ENTITIES.filter((e) => e.loadedBy === phase).flatMap((e) => [
      stagedTotalsQuery(db, e.name),
      quarantinedRowsQuery(db, e.name, { run: 'run' }),
      quarantinedRowsQuery(db, e.name, { exceptRun: 'run' }),
      stagedKeysQuery(db, e.name, [1]),
    ]),
});

export const CONTROL_TOTALS_DIMENSIONS = controlTotals('dimensions');
export const CONTROL_TOTALS_FACTS = controlTotals('facts');
