// Row-level money identities of the facts, compared in SQL on the decimal(19,4) columns (exact,
// never a binary float). facts/sales.ts copies the item's amounts from the source and computes
// margem = valor_liquido - custo_total (null when the cost is unknown), so a fact that breaks
// them carries a source row that broke them, or a load that changed an amount on the way.
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { exactDecimal } from '../db/portable-sql.js';
import { oneIf, type FailingRowsDef, type Untyped } from './failing-rows.js';

type Eb = ExpressionBuilder<any, any>;

interface Identity {
  /** the flag column of a failing row that breaks it */
  flag: string;
  /** what breaking it means */
  label: string;
  broken: (eb: Eb) => Expression<SqlBool>;
}

const NET: Identity = {
  flag: 'net_mismatch',
  label: 'valor_liquido <> valor_bruto - valor_desconto',
  broken: (eb) => eb(eb.ref('valor_liquido'), '<>', eb(eb.ref('valor_bruto'), '-', eb.ref('valor_desconto'))),
};

const MARGIN: Identity = {
  flag: 'margin_mismatch',
  label: 'margem <> valor_liquido - custo_total (null when custo_total is null)',
  broken: (eb) =>
    eb.or([
      eb.and([eb('custo_total', 'is', null), eb('margem', 'is not', null)]),
      eb.and([
        eb('custo_total', 'is not', null),
        eb.or([eb('margem', 'is', null), eb(eb.ref('margem'), '<>', eb(eb.ref('valor_liquido'), '-', eb.ref('custo_total')))]),
      ]),
    ]),
};

function moneyIdentities(fact: 'fact_vendas' | 'fact_descontos', identities: readonly Identity[], money: readonly string[]): FailingRowsDef {
  return {
    name: `${fact}_money_identities`,
    severity: 'blocking',
    phase: 'facts',
    description: `dw.${fact}: never ${identities.map((i) => i.label).join('; never ')}`,
    tables: [`dw.${fact}`],
    unit: 'fact rows breaking a money identity',
    expected: '0 rows',
    keys: ['item_id'],
    // the flags, not the amounts: on SQL Server the sampled amounts are text (exactDecimal)
    problems: identities.map((i) => ({ label: `with ${i.label}`, where: (eb) => eb(`f.${i.flag}`, '=', 1) })),
    failingRows: (typed, runId) => {
      const db: Untyped = typed;
      // one table, unaliased: exactDecimal names its columns by their own names
      let q = db
        .selectFrom(`dw.${fact}`)
        .select((eb) => [
          'item_id',
          'pedido_id',
          'numero_item',
          ...money.map((c) => exactDecimal(db, c)),
          ...identities.map((i) => oneIf(eb, i.broken(eb)).as(i.flag)),
        ])
        .where((eb) => eb.or(identities.map((i) => i.broken(eb))));
      if (runId !== undefined) q = q.where('run_id', '=', runId);
      return q;
    },
  };
}

export const MONEY_CHECKS: readonly FailingRowsDef[] = [
  moneyIdentities('fact_vendas', [NET, MARGIN], ['valor_bruto', 'valor_desconto', 'valor_liquido', 'custo_total', 'margem']),
  moneyIdentities('fact_descontos', [NET], ['valor_bruto', 'valor_desconto', 'valor_liquido']),
];
