// Vendas (sales) KPIs from dw.vw_vendas: tiles and the breakdowns by month, category, state,
// seller and campaign. Sums are the database's (decimals read as text); ratios and the average
// ticket are computed here from those exact sums. Definitions: docs/kpis.md#vendas.
import { sql, type Expression } from 'kysely';
import type { KpiFilters, VendasData } from './contract.js';
import { asText, average, count, money, ratio, units } from './decimal.js';
import { itemFilters } from './filters.js';
import type { KpiDb } from './views.js';

const ref = (c: string) => sql.ref(c);
// on the status column, not the derived `cancelado` flag: the planner estimates a column predicate
// (a CASE expression gets a default guess of a few rows, and nested loops over the whole fact)
const live = sql`${ref('v.status')} <> ${sql.lit('cancelado')}`;
const cancelled = sql`${ref('v.status')} = ${sql.lit('cancelado')}`;
/** sum of a money column over the non-cancelled items, as text */
const sumLive = (column: string) => asText(sql`sum(case when ${live} then ${ref(column)} end)`);
const sumAll = (column: string) => asText(sql`sum(${ref(column)})`);
const distinctOrders = (when?: Expression<unknown>) =>
  when ? sql<number>`count(distinct case when ${when} then ${ref('v.pedido_id')} end)` : sql<number>`count(distinct ${ref('v.pedido_id')})`;

/** Orders by descending net revenue, then by key: a stable order for tables and charts. */
const byRevenue =
  <T extends { receitaLiquida: string }>(key: (r: T) => string | number) =>
  (a: T, b: T) => {
    const d = units(b.receitaLiquida) - units(a.receitaLiquida);
    if (d !== 0n) return d > 0n ? 1 : -1;
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };

export function vendasQueries(db: KpiDb, f: KpiFilters) {
  const base = () => db.selectFrom('dw.vw_vendas as v').$call(itemFilters(f));
  const liveRows = () => base().where('v.status', '<>', 'cancelado');
  return {
    // the tiles and the months in one pass: an order has one order date, so its items never
    // straddle two months and distinct orders counted per month add up exactly to the period's;
    // cancelled items are kept (the tiles count cancelled orders) and summed only when live, and a
    // month with no live item is left out of porMes, as `where status <> 'cancelado'` would
    porMes: base()
      .select([
        'v.ano_mes',
        sumLive('v.valor_bruto').as('receita_bruta'),
        sumLive('v.valor_desconto').as('descontos'),
        sumLive('v.valor_liquido').as('receita_liquida'),
        sumLive('v.margem').as('margem'),
        sql<number>`sum(case when ${live} then ${ref('v.quantidade')} end)`.as('itens'),
        distinctOrders(live).as('pedidos'),
        distinctOrders(cancelled).as('pedidos_cancelados'),
        distinctOrders().as('pedidos_todos'),
        sql<number>`count(case when ${live} then 1 end)`.as('linhas_vivas'),
      ])
      .groupBy('v.ano_mes')
      .orderBy('v.ano_mes'),
    porCategoria: liveRows()
      .select(['v.categoria_id', 'v.categoria', sumAll('v.valor_liquido').as('receita_liquida'), sql<number>`sum(${ref('v.quantidade')})`.as('itens')])
      .groupBy(['v.categoria_id', 'v.categoria']),
    porEstado: liveRows()
      .select(['v.estado', 'v.regiao', sumAll('v.valor_liquido').as('receita_liquida'), distinctOrders().as('pedidos')])
      .groupBy(['v.estado', 'v.regiao']),
    porVendedor: liveRows()
      .select(['v.vendedor_id', 'v.vendedor', sumAll('v.valor_liquido').as('receita_liquida'), distinctOrders().as('pedidos')])
      .groupBy(['v.vendedor_id', 'v.vendedor']),
    porCampanha: liveRows()
      .select(['v.campanha_id', 'v.campanha', sumAll('v.valor_liquido').as('receita_liquida'), sumAll('v.valor_desconto').as('descontos')])
      .groupBy(['v.campanha_id', 'v.campanha']),
  };
}

export async function vendasData(db: KpiDb, f: KpiFilters): Promise<VendasData> {
  const q = vendasQueries(db, f);
  // every statement at once: the server works on them side by side
  const [meses, cat, uf, vend, camp] = await Promise.all([
    q.porMes.execute(),
    q.porCategoria.execute(),
    q.porEstado.execute(),
    q.porVendedor.execute(),
    q.porCampanha.execute(),
  ]);
  const sum = (column: 'receita_bruta' | 'descontos' | 'receita_liquida' | 'margem') => meses.reduce((n, r) => n + units(r[column]), 0n);
  const total = (column: 'itens' | 'pedidos' | 'pedidos_cancelados' | 'pedidos_todos') => meses.reduce((n, r) => n + count(r[column]), 0);
  const liquida = sum('receita_liquida');
  const margem = sum('margem');
  const pedidos = total('pedidos');
  const tiles = {
    receitaBruta: money(sum('receita_bruta')),
    descontos: money(sum('descontos')),
    receitaLiquida: money(liquida),
    pedidos,
    itens: total('itens'),
    ticketMedio: average(liquida, pedidos),
    margem: money(margem),
    margemPercentual: ratio(margem, liquida),
    taxaCancelamento: ratio(BigInt(total('pedidos_cancelados')), BigInt(total('pedidos_todos'))),
  };
  return {
    tiles,
    porMes: meses
      .filter((r) => count(r.linhas_vivas) > 0)
      .map((r) => ({
        mes: r.ano_mes,
        receitaBruta: money(units(r.receita_bruta)),
        descontos: money(units(r.descontos)),
        receitaLiquida: money(units(r.receita_liquida)),
        pedidos: count(r.pedidos),
        margem: money(units(r.margem)),
      })),
    porCategoria: cat
      .map((r) => ({ categoriaId: Number(r.categoria_id), categoria: r.categoria, receitaLiquida: money(units(r.receita_liquida)), itens: count(r.itens) }))
      .sort(byRevenue((r) => r.categoriaId)),
    porEstado: uf
      .map((r) => ({ estado: r.estado, regiao: r.regiao, receitaLiquida: money(units(r.receita_liquida)), pedidos: count(r.pedidos) }))
      .sort(byRevenue((r) => r.estado)),
    porVendedor: vend
      .map((r) => ({ vendedorId: Number(r.vendedor_id), vendedor: r.vendedor, receitaLiquida: money(units(r.receita_liquida)), pedidos: count(r.pedidos) }))
      .sort(byRevenue((r) => r.vendedorId)),
    porCampanha: camp
      .map((r) => ({
        campanhaId: Number(r.campanha_id),
        campanha: r.campanha,
        receitaLiquida: money(units(r.receita_liquida)),
        descontos: money(units(r.descontos)),
      }))
      .sort(byRevenue((r) => r.campanhaId)),
  };
}
