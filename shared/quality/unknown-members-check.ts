// unknown_member_share: facts waiting for a dimension member (key -1). A late member is normal
// for a run or two (the re-key step picks the fact up when it arrives); a large share, or a fact
// that has waited for days, means the member is not coming (a source row that never passes its
// contract, a broken reference). Age is measured from loaded_at, when the fact was last written
// while its member was unknown (the re-key sets the key without touching it), rather than from
// the order date: a backfill of old orders would otherwise warn at once, however soon the member
// arrives. The unknown delivery date (data_entrega_key) is not counted: most orders are not
// delivered yet.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import { sampleKey, type CheckInput, type CheckOutcome, type QualityCheck } from './check.js';
import { countWhere, type Untyped } from './failing-rows.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const SALE_KEYS = ['data_pedido_key', 'cliente_key', 'produto_key', 'vendedor_key', 'campanha_key'] as const;

/** per fact table, its dimension key columns */
const FACT_KEYS: readonly (readonly [fact: string, columns: readonly string[]])[] = [
  ['fact_vendas', SALE_KEYS],
  ['fact_descontos', SALE_KEYS],
  ['fact_metas', ['vendedor_key', 'mes_key']],
];

/** One scan per fact table: its rows, and per key column the rows on -1 and the oldest of them. */
function unknownKeysQuery(typed: Kysely<WarehouseTables>, fact: string, columns: readonly string[]) {
  const db: Untyped = typed;
  return db
    .selectFrom(`dw.${fact}`)
    .select((eb) => [
      eb.fn.countAll().as('fact_rows'),
      ...columns.flatMap((c) => [
        countWhere(eb, eb(c, '=', -1)).as(`${c}_unknown`),
        eb.fn.min(eb.case().when(c, '=', -1).then(eb.ref('loaded_at')).end()).as(`${c}_oldest`),
      ]),
    ]);
}

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
    const columns: KeyColumn[] = [];
    for (const [fact, keys] of FACT_KEYS) {
      const row = (await unknownKeysQuery(input.dw, fact, keys).executeTakeFirstOrThrow()) as Record<string, unknown>;
      for (const column of keys) {
        const oldest = row[`${column}_oldest`];
        columns.push({
          fact,
          column,
          unknown: Number(row[`${column}_unknown`] ?? 0),
          rows: Number(row.fact_rows),
          oldest: oldest === null || oldest === undefined ? null : new Date(oldest as Date | string),
        });
      }
    }
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
  queries: (db) => FACT_KEYS.map(([fact, keys]) => unknownKeysQuery(db, fact, keys)),
};
