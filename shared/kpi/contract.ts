// The KPI API's contract: the filters every KPI endpoint accepts and the JSON each answers.
// Shared by the query layer (shared/kpi/), the HTTP functions (functions/kpi.ts) and the
// dashboards, which read nothing else. Definitions of every number: docs/kpis.md.
//
// Conventions:
//  - money: exact decimal strings with 4 decimal places, the warehouse's scale ("1234.5600");
//    never a JavaScript number, so a sum is the database's to the cent;
//  - ratios (ticket médio aside, which is money): decimal strings of the fraction rounded half up
//    to 4 places ("0.2346" = 23.46 %), or null when the denominator is zero;
//  - counts: numbers (integers);
//  - months: "YYYY-MM"; dates: "YYYY-MM-DD" (the order's date key, dw.dim_data.data).
import { z } from 'zod';

export const KPI_AREAS = ['vendas', 'metas', 'descontos'] as const;
export type KpiArea = (typeof KPI_AREAS)[number];

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');
const id = z.coerce.number().int().positive();

/**
 * Query string of GET /api/kpi/{area}. Every field optional; `from`/`to` are inclusive order
 * dates. `categoria`, `vendedor` and `campanha` are source ids (dw.dim_*.categoria_id /
 * vendedor_id / campanha_id), `estado` a Brazilian UF ("SP"). A value that names nothing in the
 * warehouse is a 400 (the query layer checks it), as are unknown parameters.
 */
export const kpiFiltersSchema = z
  .object({
    from: isoDate.optional(),
    to: isoDate.optional(),
    categoria: id.optional(),
    estado: z
      .string()
      .regex(/^[A-Z]{2}$/, 'expected a UF, two capital letters')
      .optional(),
    vendedor: id.optional(),
    campanha: id.optional(),
  })
  .strict();

export type KpiFilters = z.infer<typeof kpiFiltersSchema>;

/** What every KPI answer carries besides its data. */
export interface KpiEnvelope<T> {
  area: KpiArea;
  /** the filters as applied (normalized) */
  filters: KpiFilters;
  /** etl.certified.certified_to: the data is certified up to this instant (ISO), null before the first certified run */
  certifiedTo: string | null;
  /** the newest run of etl.run */
  lastRun: { runId: string; status: string; finishedAt: string | null } | null;
  /** true when the last run failed or certifiedTo is older than QUALITY_FRESHNESS_WARN_MINUTES (the SLA) */
  stale: boolean;
  data: T;
}

export type Money = string;
export type Ratio = string | null;

export interface VendasTiles {
  receitaBruta: Money;
  descontos: Money;
  receitaLiquida: Money;
  pedidos: number;
  itens: number;
  ticketMedio: Money | null;
  margem: Money;
  margemPercentual: Ratio;
  taxaCancelamento: Ratio;
}

export interface VendasData {
  tiles: VendasTiles;
  porMes: { mes: string; receitaBruta: Money; descontos: Money; receitaLiquida: Money; pedidos: number; margem: Money }[];
  porCategoria: { categoriaId: number; categoria: string; receitaLiquida: Money; itens: number }[];
  porEstado: { estado: string; regiao: string | null; receitaLiquida: Money; pedidos: number }[];
  porVendedor: { vendedorId: number; vendedor: string; receitaLiquida: Money; pedidos: number }[];
  porCampanha: { campanhaId: number; campanha: string; receitaLiquida: Money; descontos: Money }[];
}

export interface MetasTiles {
  meta: Money;
  realizado: Money;
  atingimento: Ratio;
  vendedoresAcima: number;
  vendedoresAbaixo: number;
}

export interface MetasData {
  tiles: MetasTiles;
  /** per seller and month of the filtered period */
  porVendedorMes: { vendedorId: number; vendedor: string; mes: string; meta: Money; realizado: Money; atingimento: Ratio }[];
  /** per seller, year to date of the period's last month */
  acumuladoAno: { vendedorId: number; vendedor: string; ano: number; meta: Money; realizado: Money; atingimento: Ratio }[];
}

export interface DescontosTiles {
  descontoConcedido: Money;
  receitaLiquidaComDesconto: Money;
  margemComDesconto: Money;
  custoCampanhas: Money;
  roi: Ratio;
  participacaoDesconto: Ratio;
}

export interface DescontosData {
  tiles: DescontosTiles;
  porCampanha: { campanhaId: number; campanha: string; desconto: Money; receitaLiquida: Money; margem: Money; custo: Money; roi: Ratio }[];
  /** discount share of gross revenue by discount band (e.g. "0-5%", "5-10%", ...) */
  porFaixa: { faixa: string; desconto: Money; receitaBruta: Money; participacao: Ratio }[];
}

export type KpiData = { vendas: VendasData; metas: MetasData; descontos: DescontosData };

/** GET /api/kpi/filtros: the values each filter control offers. */
export interface KpiFilterOptions {
  categorias: { id: number; nome: string }[];
  estados: string[];
  vendedores: { id: number; nome: string }[];
  campanhas: { id: number; nome: string }[];
  /** the first and last order dates in the warehouse */
  periodo: { from: string | null; to: string | null };
}
