// The certified KPI views (migration sql/migrations/dw/0012_kpi_views.ts) as the query layer reads
// them. Views are not in the generated schema (shared/db/schema/generate.ts keeps tables only), so
// their columns are declared here, once, and added to a warehouse connection with withTables.
// Column meanings: docs/kpis.md. Money columns are decimals (exact strings on PostgreSQL/PGlite;
// the query layer reads every money value as text, so SQL Server's driver never makes them floats).
import type { Kysely } from 'kysely';
import type { DateOnly, Decimal, Timestamp, WarehouseTables } from '../db/schema/index.js';

/** dw.vw_vendas: one row per live order item (removed items left out) of a certified order date. */
export interface DwVwVendas {
  item_id: number;
  pedido_id: number;
  numero_item: number;
  /** the order's UTC calendar day (dw.dim_data.data of data_pedido_key) */
  data_pedido: DateOnly;
  ano_mes: string;
  ano: number;
  mes: number;
  status: string;
  /** 1 when the order is cancelled (status 'cancelado'), else 0 */
  cancelado: number;
  cliente_id: number | null;
  produto_id: number | null;
  /** the product's current category; -1 when the product is not in the warehouse yet */
  categoria_id: number;
  categoria: string;
  /** the item's seller; -1 when the source gave none */
  vendedor_id: number;
  vendedor: string;
  /** the item's campaign; 0 = "Sem campanha" */
  campanha_id: number;
  campanha: string;
  /** UF of the order's delivery address as the order recorded it; 'N/D' when unknown */
  estado: string;
  /** IBGE region of estado; null outside Brazil */
  regiao: string | null;
  quantidade: number;
  valor_bruto: Decimal;
  valor_desconto: Decimal;
  valor_liquido: Decimal;
  custo_total: Decimal | null;
  margem: Decimal | null;
  /** 'sem desconto', '0-5%', '5-10%', '10-20%', '20-30%', '30%+' on valor_desconto / valor_bruto */
  faixa_desconto: string;
  /** etl.certified.certified_to */
  certificado_ate: Timestamp;
  /** 1 on the order's live item with the lowest numero_item, else 0: summed over whole orders, their count */
  conta_pedido: number;
  /** 1 on the order's live item with the lowest numero_item among its seller's items, else 0: summed per seller, the seller's orders */
  conta_pedido_vendedor: number;
}

/** dw.vw_descontos: one row per live discounted item (dw.fact_descontos) of a certified order date. */
export interface DwVwDescontos extends Pick<
  DwVwVendas,
  | 'item_id'
  | 'pedido_id'
  | 'data_pedido'
  | 'ano_mes'
  | 'ano'
  | 'mes'
  | 'status'
  | 'cancelado'
  | 'produto_id'
  | 'categoria_id'
  | 'categoria'
  | 'vendedor_id'
  | 'vendedor'
  | 'campanha_id'
  | 'campanha'
  | 'estado'
  | 'regiao'
  | 'faixa_desconto'
  | 'quantidade'
  | 'valor_bruto'
  | 'valor_desconto'
  | 'valor_liquido'
  | 'custo_total'
  | 'margem'
  | 'certificado_ate'
> {
  campanha_tipo: string;
  /** the campaign's own cost (media, fees), repeated on each of its items: never sum it over rows */
  campanha_custo: Decimal;
  percentual_desconto: Decimal | null;
}

/** dw.vw_metas: one row per seller and month target of a certified month, with what the seller sold. */
export interface DwVwMetas {
  meta_id: number;
  vendedor_id: number;
  vendedor: string;
  /** first day of the month */
  mes: DateOnly;
  ano_mes: string;
  valor_meta: Decimal;
  quantidade_meta: number | null;
  /** net revenue of the seller's non-cancelled live items of that month (vw_vendas) */
  realizado: Decimal;
  certificado_ate: Timestamp;
}

export type KpiViews = {
  'dw.vw_vendas': DwVwVendas;
  'dw.vw_descontos': DwVwDescontos;
  'dw.vw_metas': DwVwMetas;
};

export type KpiDb = Kysely<WarehouseTables & KpiViews>;

/** The warehouse connection with the KPI views typed. */
export const withKpiViews = (db: Kysely<WarehouseTables>): KpiDb => db.withTables<KpiViews>();
