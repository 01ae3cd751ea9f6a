// GET /api/kpi/filtros: the values each filter control offers, from the certified views (so every
// value offered is one the KPI queries accept).
import { sql } from 'kysely';
import type { KpiFilterOptions } from './contract.js';
import type { KpiDb } from './views.js';

/**
 * Four passes over the certified views, side by side: the states with each state's first and last
 * order day (the period is the smallest first and the largest last), the categories, the
 * campaigns, and the sellers (of the sales or of the targets). Each pass reads only the joins its
 * columns need (the campaigns and the states none of the product's). The unknown members (id <= 0,
 * state 'N/D') are left out of the lists here, not in SQL, so they still count for the period.
 */
export function filterOptionQueries(db: KpiDb) {
  const day = (e: string) => sql<string | null>`cast(${sql.raw(e)}(${sql.ref('v.data_pedido')}) as varchar(10))`;
  return {
    estados: db
      .selectFrom('dw.vw_vendas as v')
      .select(['v.estado', day('min').as('from'), day('max').as('to')])
      .groupBy('v.estado'),
    categorias: db.selectFrom('dw.vw_vendas as v').select(['v.categoria_id', 'v.categoria']).groupBy(['v.categoria_id', 'v.categoria']),
    campanhas: db.selectFrom('dw.vw_vendas as v').select(['v.campanha_id', 'v.campanha']).groupBy(['v.campanha_id', 'v.campanha']),
    vendedores: db
      .selectFrom('dw.vw_vendas as v')
      .select(['v.vendedor_id', 'v.vendedor'])
      .where('v.vendedor_id', '>', 0)
      .groupBy(['v.vendedor_id', 'v.vendedor'])
      .union(db.selectFrom('dw.vw_metas as m').select(['m.vendedor_id', 'm.vendedor']).where('m.vendedor_id', '>', 0).groupBy(['m.vendedor_id', 'm.vendedor'])),
  };
}

type Option = { id: number; nome: string };

/** Distinct (id, name) pairs with id > 0. */
function options(rows: readonly Record<string, unknown>[], id: string, nome: string): Option[] {
  const seen = new Map<string, Option>();
  for (const r of rows) {
    const o = { id: Number(r[id]), nome: String(r[nome]) };
    if (o.id > 0) seen.set(JSON.stringify([o.id, o.nome]), o);
  }
  return [...seen.values()];
}

export async function filterOptions(db: KpiDb): Promise<KpiFilterOptions> {
  const q = filterOptionQueries(db);
  const [estados, categorias, campanhas, vendedores] = await Promise.all([
    q.estados.execute(),
    q.categorias.execute(),
    q.campanhas.execute(),
    q.vendedores.execute(),
  ]);
  const byName = (a: Option, b: Option) => (a.nome < b.nome ? -1 : a.nome > b.nome ? 1 : a.id - b.id);
  let from: string | null = null;
  let to: string | null = null;
  for (const r of estados) {
    if (r.from !== null && r.from !== undefined && (from === null || r.from < from)) from = r.from;
    if (r.to !== null && r.to !== undefined && (to === null || r.to > to)) to = r.to;
  }
  return {
    categorias: options(categorias, 'categoria_id', 'categoria').sort(byName),
    estados: estados
      .map((r) => r.estado)
      .filter((e) => e !== 'N/D')
      .sort(),
    vendedores: vendedores.map((r) => ({ id: Number(r.vendedor_id), nome: r.vendedor })).sort(byName),
    campanhas: options(campanhas, 'campanha_id', 'campanha').sort(byName),
    periodo: { from, to },
  };
}
