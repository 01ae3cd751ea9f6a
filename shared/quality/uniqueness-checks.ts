// Grain and business-key uniqueness: a fact holds one row per unit of its grain, an SCD1
// dimension one row per source member. The keys checked are the business ones, not the primary
// keys: fact_vendas is keyed on item_id, but its grain is the order item (pedido_id,
// numero_item), which two item ids could share. Most of these keys also have a unique constraint
// today; the check keeps the guarantee if a constraint is ever dropped or not migrated, and its
// samples name the duplicated keys.
import type { Phase } from './check.js';
import type { FailingRowsDef, Untyped } from './failing-rows.js';

interface Unique {
  /** schema-qualified table */
  table: string;
  keys: readonly string[];
  /** what one row stands for, in the description */
  grain: string;
  /** the table has run_id (dim_data does not: its days belong to no run) */
  perRun: boolean;
}

function duplicatedKeys(name: string, phase: Phase, u: Unique): FailingRowsDef {
  const list = `(${u.keys.join(', ')})`;
  return {
    name,
    severity: 'blocking',
    phase,
    description: `${u.table}: one row per ${u.grain} ${list}`,
    // the calendar is extended outside the entity loads: its check runs in each of their gates
    ...(u.perRun ? { tables: [u.table] } : {}),
    unit: `duplicated ${list}`,
    expected: '0 duplicates',
    keys: u.keys,
    failingRows: (typed, runId) => {
      const db: Untyped = typed;
      let q = db
        .selectFrom(`${u.table} as x`)
        .select((eb) => [...u.keys.map((k) => `x.${k} as ${k}`), eb.fn.countAll().as('copies')])
        .groupBy(u.keys.map((k) => `x.${k}`))
        .having((eb) => eb(eb.fn.countAll(), '>', 1));
      // a run's duplicates: the groups of the first key (the order of a fact, the seller of a
      // target, the id of a member) the run wrote, counted over every row of the table (a semi-join,
      // by index where there is one; a duplicate already there in such a group is reported too)
      if (runId !== undefined && u.perRun) {
        const first = u.keys[0]!;
        q = q.where(`x.${first}`, 'in', db.selectFrom(`${u.table} as w`).select(`w.${first}`).where('w.run_id', '=', runId));
      }
      return q;
    },
  };
}

export const GRAIN_CHECKS: readonly FailingRowsDef[] = [
  duplicatedKeys('fact_vendas_grain_unique', 'facts', { table: 'dw.fact_vendas', keys: ['pedido_id', 'numero_item'], grain: 'order item', perRun: true }),
  duplicatedKeys('fact_descontos_grain_unique', 'facts', {
    table: 'dw.fact_descontos',
    keys: ['pedido_id', 'numero_item'],
    grain: 'discounted order item',
    perRun: true,
  }),
  duplicatedKeys('fact_metas_grain_unique', 'facts', { table: 'dw.fact_metas', keys: ['vendedor_id', 'mes'], grain: 'seller and month', perRun: true }),
];

export const BUSINESS_KEY_CHECKS: readonly FailingRowsDef[] = [
  ...(['vendedor', 'campanha', 'categoria'] as const).map((d) =>
    duplicatedKeys(`dim_${d}_business_key_unique`, 'dimensions', { table: `dw.dim_${d}`, keys: [`${d}_id`], grain: `source ${d}`, perRun: true }),
  ),
  duplicatedKeys('dim_data_business_key_unique', 'dimensions', { table: 'dw.dim_data', keys: ['data'], grain: 'calendar day', perRun: false }),
];
