// GET /api/kpi/filtros: the values each filter control offers, from the certified views (so every
// value offered is one the KPI queries accept).
import { sql } from 'kysely';
import type { KpiFilterOptions } from './contract.js';
import type { KpiDb } from './views.js';

export function filterOptionQueries(db: KpiDb) {
  return {
    categorias: db
      .selectFrom('dw.vw_vendas as v')
      .select(['v.categoria_id', 'v.categoria'])
      .where('v.categoria_id', '>', 0)
      .groupBy(['v.categoria_id', 'v.categoria'])
      .orderBy('v.categoria'),
    estados: db.selectFrom('dw.vw_vendas as v').select('v.estado').where('v.estado', '<>', 'N/D').groupBy('v.estado').orderBy('v.estado'),
    vendedores: db
      .selectFrom('dw.vw_vendas as v')
      .select(['v.vendedor_id', 'v.vendedor'])
      .where('v.vendedor_id', '>', 0)
      .groupBy(['v.vendedor_id', 'v.vendedor'])
      .union(db.selectFrom('dw.vw_metas as m').select(['m.vendedor_id', 'm.vendedor']).where('m.vendedor_id', '>', 0).groupBy(['m.vendedor_id', 'm.vendedor'])),
    campanhas: db
      .selectFrom('dw.vw_vendas as v')
      .select(['v.campanha_id', 'v.campanha'])
      .where('v.campanha_id', '>', 0)
      .groupBy(['v.campanha_id', 'v.campanha'])
      .orderBy('v.campanha'),
    periodo: db
      .selectFrom('dw.vw_vendas as v')
      .select([
        sql<string | null>`cast(min(${sql.ref('v.data_pedido')}) as varchar(10))`.as('from'),
        sql<string | null>`cast(max(${sql.ref('v.data_pedido')}) as varchar(10))`.as('to'),
      ]),
  };
}

export async function filterOptions(db: KpiDb): Promise<KpiFilterOptions> {
  const q = filterOptionQueries(db);
  const [categorias, estados, vendedores, campanhas, periodo] = await Promise.all([
    q.categorias.execute(),
    q.estados.execute(),
    q.vendedores.execute(),
    q.campanhas.execute(),
    q.periodo.executeTakeFirst(),
  ]);
  const byName = (a: { nome: string; id: number }, b: { nome: string; id: number }) => (a.nome < b.nome ? -1 : a.nome > b.nome ? 1 : a.id - b.id);
  return {
    categorias: categorias.map((r) => ({ id: Number(r.categoria_id), nome: r.categoria })).sort(byName),
    estados: estados.map((r) => r.estado).sort(),
    vendedores: vendedores.map((r) => ({ id: Number(r.vendedor_id), nome: r.vendedor })).sort(byName),
    campanhas: campanhas.map((r) => ({ id: Number(r.campanha_id), nome: r.campanha })).sort(byName),
    periodo: { from: periodo?.from ?? null, to: periodo?.to ?? null },
  };
}
