// Runs the reference SQL of sql/kpi/reference/*.sql (each KPI family written a second time against
// the OLTP source tables) for a set of filters, and shapes the result like the KPI API's data
// (contract.ts), so a test can compare the two with toEqual. The files are trusted text of this
// repository; filter values are bound as parameters only.
//
// File format: `-- name: <section>` starts a section; the section `base` is put in front of every
// other one as `with base as (...)`; `:name` is a parameter (bound with Kysely's sql template).
import { readFileSync } from 'node:fs';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { formatMoney, parseMoney } from '../model/money.js';
import type { DescontosData, KpiArea, KpiData, KpiFilters, MetasData, VendasData } from './contract.js';

const DIR = new URL('../../sql/kpi/reference/', import.meta.url);

/** The sections of a reference file, by name. */
export function referenceSections(area: KpiArea): Record<string, string> {
  const text = readFileSync(new URL(`${area}.sql`, DIR), 'utf8');
  const sections: Record<string, string> = {};
  let name: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^-- name: (\w+)\s*$/.exec(line);
    if (m) {
      name = m[1]!;
      sections[name] = '';
    } else if (name !== null) sections[name] += line.replace(/--.*$/, '') + '\n';
  }
  return sections;
}

/** A section as a query: `:name` placeholders become parameters with the values of `params`. */
export function referenceQuery(sections: Record<string, string>, section: string, params: Record<string, unknown>): RawBuilder<Record<string, unknown>> {
  const body = sections[section];
  if (body === undefined) throw new Error(`no section ${section}`);
  const text = sections.base !== undefined && section !== 'base' ? `with base as (${sections.base}) ${body}` : body;
  const parts = text.split(/(?<![:\w]):([a-z_]+)\b/);
  const chunks: RawBuilder<unknown>[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) chunks.push(sql.raw(parts[i]!));
    else {
      const key = parts[i]!;
      if (!(key in params)) throw new Error(`reference ${section}: no value for :${key}`);
      chunks.push(sql`${params[key] ?? null}`);
    }
  }
  return sql<Record<string, unknown>>`${sql.join(chunks, sql.raw(''))}`;
}

const money = (v: unknown) => formatMoney(v === null || v === undefined ? 0n : parseMoney(String(v)));
const ratio = (v: unknown) => (v === null || v === undefined ? null : formatMoney(parseMoney(String(v))));
const int = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

async function rows(db: Kysely<any>, sections: Record<string, string>, section: string, params: Record<string, unknown>) {
  return (await referenceQuery(sections, section, params).execute(db)).rows;
}

/** The reference answer of one area on the OLTP database, for `filters` and the certified pointer. */
export async function referenceAnswer<A extends KpiArea>(oltp: Kysely<any>, area: A, filters: KpiFilters, certifiedTo: Date | null): Promise<KpiData[A]> {
  const s = referenceSections(area);
  const common = { certified_to: certifiedTo?.toISOString() ?? null };
  const items = {
    ...common,
    from: filters.from ?? null,
    to: filters.to ?? null,
    categoria: filters.categoria ?? null,
    estado: filters.estado ?? null,
    vendedor: filters.vendedor ?? null,
    campanha: filters.campanha ?? null,
  };
  if (area === 'vendas') return (await vendas(oltp, s, items)) as KpiData[A];
  if (area === 'descontos') return (await descontos(oltp, s, items)) as KpiData[A];
  return (await metas(oltp, s, { ...common, vendedor: filters.vendedor ?? null }, filters)) as KpiData[A];
}

async function vendas(db: Kysely<any>, s: Record<string, string>, p: Record<string, unknown>): Promise<VendasData> {
  const t = (await rows(db, s, 'tiles', p))[0] ?? {};
  return {
    tiles: {
      receitaBruta: money(t.receita_bruta),
      descontos: money(t.descontos),
      receitaLiquida: money(t.receita_liquida),
      pedidos: int(t.pedidos),
      itens: int(t.itens),
      ticketMedio: ratio(t.ticket_medio),
      margem: money(t.margem),
      margemPercentual: ratio(t.margem_percentual),
      taxaCancelamento: ratio(t.taxa_cancelamento),
    },
    porMes: (await rows(db, s, 'por_mes', p)).map((r) => ({
      mes: String(r.mes),
      receitaBruta: money(r.receita_bruta),
      descontos: money(r.descontos),
      receitaLiquida: money(r.receita_liquida),
      pedidos: int(r.pedidos),
      margem: money(r.margem),
    })),
    porCategoria: (await rows(db, s, 'por_categoria', p)).map((r) => ({
      categoriaId: int(r.categoria_id),
      categoria: String(r.categoria),
      receitaLiquida: money(r.receita_liquida),
      itens: int(r.itens),
    })),
    porEstado: (await rows(db, s, 'por_estado', p)).map((r) => ({
      estado: String(r.estado),
      regiao: r.regiao === null ? null : String(r.regiao),
      receitaLiquida: money(r.receita_liquida),
      pedidos: int(r.pedidos),
    })),
    porVendedor: (await rows(db, s, 'por_vendedor', p)).map((r) => ({
      vendedorId: int(r.vendedor_id),
      vendedor: String(r.vendedor),
      receitaLiquida: money(r.receita_liquida),
      pedidos: int(r.pedidos),
    })),
    porCampanha: (await rows(db, s, 'por_campanha', p)).map((r) => ({
      campanhaId: int(r.campanha_id),
      campanha: String(r.campanha),
      receitaLiquida: money(r.receita_liquida),
      descontos: money(r.descontos),
    })),
  };
}

async function descontos(db: Kysely<any>, s: Record<string, string>, p: Record<string, unknown>): Promise<DescontosData> {
  const t = (await rows(db, s, 'tiles', p))[0] ?? {};
  return {
    tiles: {
      descontoConcedido: money(t.desconto_concedido),
      receitaLiquidaComDesconto: money(t.receita_liquida_com_desconto),
      margemComDesconto: money(t.margem_com_desconto),
      custoCampanhas: money(t.custo_campanhas),
      roi: ratio(t.roi),
      participacaoDesconto: ratio(t.participacao_desconto),
    },
    porCampanha: (await rows(db, s, 'por_campanha', p)).map((r) => ({
      campanhaId: int(r.campanha_id),
      campanha: String(r.campanha),
      desconto: money(r.desconto),
      receitaLiquida: money(r.receita_liquida),
      margem: money(r.margem),
      custo: money(r.custo),
      roi: ratio(r.roi),
    })),
    porFaixa: (await rows(db, s, 'por_faixa', p)).map((r) => ({
      faixa: String(r.faixa),
      desconto: money(r.desconto),
      receitaBruta: money(r.receita_bruta),
      participacao: ratio(r.participacao),
    })),
  };
}

async function metas(db: Kysely<any>, s: Record<string, string>, common: Record<string, unknown>, f: KpiFilters): Promise<MetasData> {
  const p = { ...common, mes_de: f.from?.slice(0, 7) ?? null, mes_ate: f.to?.slice(0, 7) ?? null };
  const t = (await rows(db, s, 'tiles', p))[0] ?? {};
  const last = f.to?.slice(0, 7) ?? ((await rows(db, s, 'ultimo_mes', p))[0]?.mes as string | null | undefined) ?? null;
  const ano = last ? Number(last.slice(0, 4)) : null;
  return {
    tiles: {
      meta: money(t.meta),
      realizado: money(t.realizado),
      atingimento: ratio(t.atingimento),
      vendedoresAcima: int(t.vendedores_acima),
      vendedoresAbaixo: int(t.vendedores_abaixo),
    },
    porVendedorMes: (await rows(db, s, 'por_vendedor_mes', p)).map((r) => ({
      vendedorId: int(r.vendedor_id),
      vendedor: String(r.vendedor),
      mes: String(r.mes),
      meta: money(r.meta),
      realizado: money(r.realizado),
      atingimento: ratio(r.atingimento),
    })),
    acumuladoAno:
      ano === null
        ? []
        : (await rows(db, s, 'acumulado_ano', { ...p, ano_de: `${ano}-01`, ano_ate: last })).map((r) => ({
            vendedorId: int(r.vendedor_id),
            vendedor: String(r.vendedor),
            ano,
            meta: money(r.meta),
            realizado: money(r.realizado),
            atingimento: ratio(r.atingimento),
          })),
  };
}
