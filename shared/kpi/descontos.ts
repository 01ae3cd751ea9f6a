// Descontos/ROI KPIs: discounts granted, what the discounted items earned, each campaign's cost
// and ROI (dw.vw_descontos), and the discount share of gross revenue by discount band
// (dw.vw_vendas, every non-cancelled item, discounted or not). Definitions: docs/kpis.md#descontos.
//
// ROI of a campaign = (margem of its discounted items - custo da campanha) / custo da campanha.
// The return is the margin (net revenue after the discount, minus product cost), so the discount
// is already paid for inside it; the cost is the campaign's own spend (dw.dim_campanha.custo).
import { sql } from 'kysely';
import type { DescontosData, KpiFilters } from './contract.js';
import { asText, money, ratio, units } from './decimal.js';
import { itemFilters } from './filters.js';
import type { KpiDb } from './views.js';

const ref = (c: string) => sql.ref(c);
const sum = (column: string) => asText(sql`sum(${ref(column)})`);

/** The discount bands in order (dw.vw_vendas.faixa_desconto). */
export const FAIXAS_DESCONTO = ['sem desconto', '0-5%', '5-10%', '10-20%', '20-30%', '30%+'] as const;

export function descontosQueries(db: KpiDb, f: KpiFilters) {
  return {
    porCampanha: db
      .selectFrom('dw.vw_descontos as v')
      .$call(itemFilters(f))
      .where('v.status', '<>', 'cancelado')
      .select([
        'v.campanha_id',
        'v.campanha',
        sum('v.valor_desconto').as('desconto'),
        sum('v.valor_liquido').as('receita_liquida'),
        sum('v.margem').as('margem'),
        // the campaign's cost, once per campaign (the view repeats it on each item)
        asText(sql`max(${ref('v.campanha_custo')})`).as('custo'),
      ])
      .groupBy(['v.campanha_id', 'v.campanha']),
    porFaixa: db
      .selectFrom('dw.vw_vendas as v')
      .$call(itemFilters(f))
      .where('v.status', '<>', 'cancelado')
      .select(['v.faixa_desconto', sum('v.valor_desconto').as('desconto'), sum('v.valor_bruto').as('receita_bruta')])
      .groupBy('v.faixa_desconto'),
  };
}

export async function descontosData(db: KpiDb, f: KpiFilters): Promise<DescontosData> {
  const q = descontosQueries(db, f);
  const [camp, faixas] = await Promise.all([q.porCampanha.execute(), q.porFaixa.execute()]);
  let desconto = 0n;
  let liquida = 0n;
  let margem = 0n;
  let custo = 0n;
  let margemCampanhas = 0n;
  const porCampanha = camp
    .map((r) => {
      const c = { desconto: units(r.desconto), liquida: units(r.receita_liquida), margem: units(r.margem), custo: units(r.custo) };
      desconto += c.desconto;
      liquida += c.liquida;
      margem += c.margem;
      custo += c.custo;
      // the overall ROI's return: the margin of items sold under a campaign (0 = none)
      if (Number(r.campanha_id) !== 0) margemCampanhas += c.margem;
      return {
        campanhaId: Number(r.campanha_id),
        campanha: r.campanha,
        desconto: money(c.desconto),
        receitaLiquida: money(c.liquida),
        margem: money(c.margem),
        custo: money(c.custo),
        roi: ratio(c.margem - c.custo, c.custo),
      };
    })
    .sort((a, b) => a.campanhaId - b.campanhaId);
  let bruto = 0n;
  const byBand = new Map(faixas.map((r) => [r.faixa_desconto, r]));
  const porFaixa = FAIXAS_DESCONTO.filter((b) => byBand.has(b)).map((faixa) => {
    const r = byBand.get(faixa)!;
    const d = units(r.desconto);
    const g = units(r.receita_bruta);
    bruto += g;
    return { faixa, desconto: money(d), receitaBruta: money(g), participacao: ratio(d, g) };
  });
  return {
    tiles: {
      descontoConcedido: money(desconto),
      receitaLiquidaComDesconto: money(liquida),
      margemComDesconto: money(margem),
      custoCampanhas: money(custo),
      roi: ratio(margemCampanhas - custo, custo),
      participacaoDesconto: ratio(desconto, bruto),
    },
    porCampanha,
    porFaixa,
  };
}
