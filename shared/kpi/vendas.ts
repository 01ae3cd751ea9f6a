// Vendas (sales) KPIs from dw.vw_vendas: tiles and the breakdowns by month, category, state,
// seller and campaign. Sums are the database's (decimals read as text); ratios and the average
// ticket are computed here from those exact sums. Definitions: docs/kpis.md#vendas.
import { sql } from 'kysely';
import type { KpiFilters, VendasData } from './contract.js';
import { asText, average, count, money, ratio, units } from './decimal.js';
import { itemFilters } from './filters.js';
import type { KpiDb } from './views.js';

const ref = (c: string) => sql.ref(c);
const sumAll = (column: string) => asText(sql`sum(${ref(column)})`);
/**
 * The orders among the rows a statement reads. Without a category or campaign filter the fact's
 * order counters (migration dw/0014) add up to exactly that: every row set read is then made of
 * whole orders (the period, the state and the status belong to the order), or of whole
 * (order, seller) pairs when a seller filter or a per-seller grouping is present, and each of those
 * has exactly one live item whose counter is 1. A category or campaign filter keeps only some items
 * of an order, perhaps not its counting one, so it counts distinct orders (a sort of every item).
 */
const orders = (f: KpiFilters, perSeller: boolean) =>
  f.categoria !== undefined || f.campanha !== undefined
    ? sql<number>`count(distinct ${ref('v.pedido_id')})`
    : sql<number>`sum(${ref(perSeller || f.vendedor !== undefined ? 'v.conta_pedido_vendedor' : 'v.conta_pedido')})`;
const isLive = (status: string) => status !== 'cancelado';
/**
 * The name of a member in a breakdown grouped by its id alone (each id has one name in the view).
 * Grouping by the name too made PostgreSQL guess one group per row for the two expressions and
 * sort every item of the period instead of hashing a few hundred groups.
 */
const nameOf = <C extends 'categoria' | 'vendedor' | 'campanha'>(column: `v.${C}`) => sql<string>`max(${ref(column)})`.as(column.slice(2) as C);

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
    // the tiles, the months and the states in one pass, grouped by what belongs to the whole
    // order: its month (an order has one order date), its status and its delivery state (the
    // fact load copies both from the order header onto every item of the order). An order
    // therefore lies in exactly one group, and its distinct orders added over groups are exactly
    // the distinct orders of any union of groups: a month's, a state's, the period's, the live or
    // the cancelled ones. Cancelled rows are kept (the tiles count cancelled orders); the
    // breakdowns add only the live groups, and a month with no live item is left out of porMes
    porGrupo: base()
      .select([
        'v.ano_mes',
        'v.status',
        'v.estado',
        'v.regiao',
        sumAll('v.valor_bruto').as('receita_bruta'),
        sumAll('v.valor_desconto').as('descontos'),
        sumAll('v.valor_liquido').as('receita_liquida'),
        sumAll('v.margem').as('margem'),
        sql<number>`sum(${ref('v.quantidade')})`.as('itens'),
        sql<number>`count(*)`.as('linhas'),
        orders(f, false).as('pedidos'),
      ])
      .groupBy(['v.ano_mes', 'v.status', 'v.estado', 'v.regiao']),
    porCategoria: liveRows()
      .select(['v.categoria_id', nameOf('v.categoria'), sumAll('v.valor_liquido').as('receita_liquida'), sql<number>`sum(${ref('v.quantidade')})`.as('itens')])
      .groupBy('v.categoria_id'),
    porVendedor: liveRows()
      .select(['v.vendedor_id', nameOf('v.vendedor'), sumAll('v.valor_liquido').as('receita_liquida'), orders(f, true).as('pedidos')])
      .groupBy('v.vendedor_id'),
    porCampanha: liveRows()
      .select(['v.campanha_id', nameOf('v.campanha'), sumAll('v.valor_liquido').as('receita_liquida'), sumAll('v.valor_desconto').as('descontos')])
      .groupBy('v.campanha_id'),
  };
}

type Totals = { bruta: bigint; descontos: bigint; liquida: bigint; margem: bigint; itens: number; pedidos: number; linhas: number };
const zero = (): Totals => ({ bruta: 0n, descontos: 0n, liquida: 0n, margem: 0n, itens: 0, pedidos: 0, linhas: 0 });

export async function vendasData(db: KpiDb, f: KpiFilters): Promise<VendasData> {
  const q = vendasQueries(db, f);
  // every statement at once: the server works on them side by side
  const [grupos, cat, vend, camp] = await Promise.all([q.porGrupo.execute(), q.porCategoria.execute(), q.porVendedor.execute(), q.porCampanha.execute()]);
  const live = zero();
  let pedidosCancelados = 0;
  let pedidosTodos = 0;
  const meses = new Map<string, Totals>();
  const estados = new Map<string, Totals & { estado: string; regiao: string | null }>();
  for (const r of grupos) {
    const pedidos = count(r.pedidos);
    pedidosTodos += pedidos;
    if (!isLive(r.status)) {
      pedidosCancelados += pedidos;
      continue;
    }
    const mes = meses.get(r.ano_mes) ?? zero();
    meses.set(r.ano_mes, mes);
    const key = JSON.stringify([r.estado, r.regiao]);
    const uf = estados.get(key) ?? { ...zero(), estado: r.estado, regiao: r.regiao ?? null };
    estados.set(key, uf);
    for (const t of [live, mes, uf]) {
      t.bruta += units(r.receita_bruta);
      t.descontos += units(r.descontos);
      t.liquida += units(r.receita_liquida);
      t.margem += units(r.margem);
      t.itens += count(r.itens);
      t.pedidos += pedidos;
      t.linhas += count(r.linhas);
    }
  }
  const tiles = {
    receitaBruta: money(live.bruta),
    descontos: money(live.descontos),
    receitaLiquida: money(live.liquida),
    pedidos: live.pedidos,
    itens: live.itens,
    ticketMedio: average(live.liquida, live.pedidos),
    margem: money(live.margem),
    margemPercentual: ratio(live.margem, live.liquida),
    taxaCancelamento: ratio(BigInt(pedidosCancelados), BigInt(pedidosTodos)),
  };
  return {
    tiles,
    porMes: [...meses.entries()]
      .filter(([, m]) => m.linhas > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([mes, m]) => ({
        mes,
        receitaBruta: money(m.bruta),
        descontos: money(m.descontos),
        receitaLiquida: money(m.liquida),
        pedidos: m.pedidos,
        margem: money(m.margem),
      })),
    porCategoria: cat
      .map((r) => ({ categoriaId: Number(r.categoria_id), categoria: r.categoria, receitaLiquida: money(units(r.receita_liquida)), itens: count(r.itens) }))
      .sort(byRevenue((r) => r.categoriaId)),
    porEstado: [...estados.values()]
      .map((r) => ({ estado: r.estado, regiao: r.regiao, receitaLiquida: money(r.liquida), pedidos: r.pedidos }))
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
