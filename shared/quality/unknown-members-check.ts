// unknown_member_share: facts waiting for a dimension member (key -1). A late member is normal
// for a run or two (the re-key step picks the fact up when it arrives); a large share, or a fact
// that has waited for days, means the member is not coming (a source row that never passes its
// contract, a broken reference). Age is measured from loaded_at, when the fact was last written
// while its member was unknown (the re-key sets the key without touching it), rather than from
// the order date: a backfill of old orders would otherwise warn at once, however soon the member
// arrives. The unknown delivery date (data_entrega_key) is not counted: most orders are not
// delivered yet.
import { sql, type Kysely } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import { sampleKey, type CheckInput, type CheckOutcome, type QualityCheck } from './check.js';
import type { Untyped } from './failing-rows.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const SALE_KEYS = ['data_pedido_key', 'cliente_key', 'produto_key', 'vendedor_key', 'campanha_key'] as const;

/** per fact table, its dimension key columns */
const FACT_KEYS: readonly (readonly [fact: string, columns: readonly string[]])[] = [
  ['fact_vendas', SALE_KEYS],
  ['fact_descontos', SALE_KEYS],
  ['fact_metas', ['vendedor_key', 'mes_key']],
];

/**
 * One statement: per fact table and key column, the rows on -1 and the oldest of them. Each part
 * reads only the rows on -1, through the column's index (the partial/filtered indexes on -1 the
 * re-key uses, migrations 0004 and 0009, or ix_fact_vendas_data), not the whole table: -1 is a
 * literal so SQL Server's filtered indexes match it. fact_metas has no such index; it holds one row
 * per seller and month.
 */
function unknownKeysQuery(typed: Kysely<WarehouseTables>) {
  const db: Untyped = typed;
  const parts = FACT_KEYS.flatMap(([fact, columns]) =>
    columns.map((c) =>
      db
        .selectFrom(`dw.${fact}`)
        .where(c, '=', sql.lit(-1))
        .select((eb) => [sql.lit(fact).as('fact'), sql.lit(c).as('key_column'), eb.fn.countAll().as('unknown'), eb.fn.min('loaded_at').as('oldest')]),
    ),
  );
  return parts.slice(1).reduce((q, part) => q.unionAll(part), parts[0]!);
}

/** The rows of a fact table (the share's denominator), read only for a table with rows on -1. */
const factRowsQuery = (typed: Kysely<WarehouseTables>, fact: string) => (typed as Untyped).selectFrom(`dw.${fact}`).select((eb) => eb.fn.countAll().as('n'));

interface KeyColumn {
  fact: string;
  column: string;
  unknown: number;
  rows: number;
  oldest: Date | null;
}

const share = (k: KeyColumn) => `${((100 * k.unknown) / Math.max(k.rows, 1)).toFixed(2)}%`;

export const UNKNOWN_MEMBER_SHARE: QualityCheck = {
  name: 'unknown_member_share',
  severity: 'warning',
  phase: 'warehouse',
  description:
    'per fact table and dimension key (not the delivery date), the share of rows on the unknown member (-1) is at most ' +
    'QUALITY_UNKNOWN_SHARE_WARN_PERCENT and none of them was loaded more than QUALITY_UNKNOWN_AGE_WARN_DAYS days ago',
  async run(input: CheckInput): Promise<CheckOutcome> {
    const { QUALITY_UNKNOWN_SHARE_WARN_PERCENT: percent, QUALITY_UNKNOWN_AGE_WARN_DAYS: days } = input.settings;
    const oldestAllowed = (input.now ?? new Date()).getTime() - days * DAY_MS;
    const found = (await unknownKeysQuery(input.dw).execute()) as Record<string, unknown>[];
    const unknownOf = (fact: string, column: string) => found.find((r) => r.fact === fact && r.key_column === column);
    // a table's row count matters only when some of its rows are on -1 (0 on -1 is 0% of any count)
    const rowsOf = new Map<string, number>();
    for (const [fact, keys] of FACT_KEYS) {
      if (keys.some((c) => Number(unknownOf(fact, c)?.unknown ?? 0) > 0))
        rowsOf.set(fact, Number((await factRowsQuery(input.dw, fact).executeTakeFirstOrThrow()).n));
    }
    const columns: KeyColumn[] = FACT_KEYS.flatMap(([fact, keys]) =>
      keys.map((column) => {
        const row = unknownOf(fact, column);
        const oldest = row?.oldest;
        return {
          fact,
          column,
          unknown: Number(row?.unknown ?? 0),
          rows: rowsOf.get(fact) ?? 0,
          oldest: oldest === null || oldest === undefined ? null : new Date(oldest as Date | string),
        };
      }),
    );
    // integer arithmetic: unknown/rows > percent/100 without a division
    const flagged = columns.filter((k) => k.unknown > 0 && (k.unknown * 100 > percent * k.rows || (k.oldest !== null && k.oldest.getTime() < oldestAllowed)));
    const unknown = columns.reduce((n, k) => n + k.unknown, 0);
    const describe = (k: KeyColumn) => `${k.fact}.${k.column} ${k.unknown} of ${k.rows} rows on -1 (${share(k)}, oldest loaded ${k.oldest?.toISOString()})`;
    return {
      failing: flagged.length,
      observed:
        flagged.length === 0
          ? `${unknown} fact keys on -1 in all, no key column above ${percent}% nor waiting more than ${days} days`
          : `${flagged.length} key columns: ${flagged.map(describe).join('; ')}`,
      expected: `per key column at most ${percent}% on -1, none loaded more than ${days} days ago`,
      samples: flagged.map((k) => sampleKey({ fact: k.fact, column: k.column, unknown: k.unknown, rows: k.rows, share: share(k), oldest_loaded_at: k.oldest })),
    };
  },
  queries: (db) => [unknownKeysQuery(db), ...FACT_KEYS.map(([fact]) => factRowsQuery(db, fact))],
};
