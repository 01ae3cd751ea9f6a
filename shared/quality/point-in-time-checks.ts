// Point-in-time integrity: a sale points at the version of its customer and of its product that
// was valid when the order was placed, the rule facts/sales.ts (and facts/rekey.ts) key it by:
//   customer: the version of cliente_id with valid_from <= data_pedido < valid_to;
//   product:  the version of produto_id valid at data_pedido, or, for an item whose order header
//             has not arrived (data_pedido null), at the item's created_at (ods.itens_pedido);
//   -1 (the member or the order time is unknown) is always allowed.
// A key that names another member's version, or a version whose validity does not contain that
// instant, fails. A discount fact is checked with the order time and ids of its item's sale.
import { sql, type Expression, type ExpressionBuilder } from 'kysely';
import type { FailingRowsDef, Untyped } from './failing-rows.js';

/**
 * 1 when the fact's `dim` key does not name the version of its member valid at `at`, else 0. The
 * version is joined by its key (`d_${dim}`, a primary-key join: one pass over the facts even on a
 * full load), and anything unknown about it (no such version, no member id, no time) counts as
 * wrong, except the unknown member itself.
 */
function wrongVersion(eb: ExpressionBuilder<any, any>, dim: 'cliente' | 'produto', sale: string, at: Expression<unknown>) {
  const d = `d_${dim}`;
  const valid = eb.and([
    eb(`${d}.${dim}_key`, 'is not', null),
    eb(eb.ref(`${d}.${dim}_id`), '=', eb.ref(`${sale}.${dim}_id`)),
    eb(`${d}.valid_from`, '<=', at),
    eb(`${d}.valid_to`, '>', at),
  ]);
  return eb
    .case()
    .when(eb(`f.${dim}_key`, '=', -1))
    .then(sql.lit(0))
    .when(valid)
    .then(sql.lit(0))
    .else(sql.lit(1))
    .end();
}

function pointInTime(fact: 'fact_vendas' | 'fact_descontos'): FailingRowsDef {
  const discounts = fact === 'fact_descontos';
  return {
    name: `${fact}_point_in_time`,
    severity: 'blocking',
    phase: 'facts',
    tables: [`dw.${fact}`],
    description:
      `dw.${fact}: cliente_key and produto_key are -1 or the version of the fact's member valid at the order time ` +
      '(valid_from <= data_pedido < valid_to; products of an item without its order header at the item created_at)' +
      (discounts ? ', with the order time and member ids of the sale of the same item' : ''),
    unit: 'fact rows keyed to a version not valid at the order time',
    expected: '0 rows',
    keys: ['item_id'],
    problems: [
      { label: 'on cliente_key', where: (eb) => eb('f.wrong_cliente', '=', 1) },
      { label: 'on produto_key', where: (eb) => eb('f.wrong_produto', '=', 1) },
    ],
    failingRows: (typed, runId) => {
      const db: Untyped = typed;
      // where the order time and member ids are: the sale itself, or the discount's sale
      const sale = discounts ? 'v' : 'f';
      let facts = db.selectFrom(`dw.${fact} as f`);
      if (discounts) facts = facts.innerJoin('dw.fact_vendas as v', 'v.item_id', 'f.item_id');
      if (runId !== undefined) facts = facts.where('f.run_id', '=', runId);
      const rows = facts
        .leftJoin('ods.itens_pedido as i', 'i.id', 'f.item_id')
        .leftJoin('dw.dim_cliente as d_cliente', 'd_cliente.cliente_key', 'f.cliente_key')
        .leftJoin('dw.dim_produto as d_produto', 'd_produto.produto_key', 'f.produto_key')
        .select((eb) => {
          const orderedAt = eb.ref(`${sale}.data_pedido`);
          const productAt = eb.fn.coalesce(orderedAt, eb.ref('i.created_at'));
          return [
            'f.item_id as item_id',
            'f.pedido_id as pedido_id',
            'f.numero_item as numero_item',
            `${sale}.data_pedido as data_pedido`,
            `${sale}.cliente_id as cliente_id`,
            'f.cliente_key as cliente_key',
            `${sale}.produto_id as produto_id`,
            'f.produto_key as produto_key',
            wrongVersion(eb, 'cliente', sale, orderedAt).as('wrong_cliente'),
            wrongVersion(eb, 'produto', sale, productAt).as('wrong_produto'),
          ];
        });
      return db
        .selectFrom(rows.as('r'))
        .selectAll()
        .where((eb) => eb.or([eb('r.wrong_cliente', '=', 1), eb('r.wrong_produto', '=', 1)]));
    },
  };
}

/**
 * In the fact steps: the rows the run wrote, which include the older facts its re-key step moved
 * to another version (facts/rekey.ts stamps them with its run id). `dw:check` runs them over the
 * whole warehouse.
 */
export const POINT_IN_TIME_CHECKS: readonly FailingRowsDef[] = [pointInTime('fact_vendas'), pointInTime('fact_descontos')];
