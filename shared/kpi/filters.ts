// The filters of a KPI request, checked against the certified data before any KPI query runs: a
// value that names nothing (an unknown seller, category, campaign or state, an impossible date,
// `from` after `to`) is a BadRequestError naming the field. Values only ever reach SQL as
// parameters. Which filters each area applies: docs/kpis.md.
import type { SelectQueryBuilder } from 'kysely';
import { firstRows } from '../db/portable-sql.js';
import { BadRequestError } from '../pipeline/bad-request.js';
import { kpiFiltersSchema, type KpiArea, type KpiFilters } from './contract.js';
import type { KpiDb } from './views.js';

/** The filters each area applies; metas (targets per seller and month) ignores the item attributes. */
export const AREA_FILTERS: Record<KpiArea, readonly (keyof KpiFilters)[]> = {
  vendas: ['from', 'to', 'categoria', 'estado', 'vendedor', 'campanha'],
  descontos: ['from', 'to', 'categoria', 'estado', 'vendedor', 'campanha'],
  metas: ['from', 'to', 'vendedor'],
};

function realDate(field: string, value: string): void {
  const d = new Date(`${value}T00:00:00.000Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) throw new BadRequestError(`${field}: ${value} is not a calendar date`);
}

/** Parses raw filters (query string values) with the contract's schema; a failure is a BadRequestError. */
export function parseKpiFilters(raw: unknown): KpiFilters {
  const parsed = kpiFiltersSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BadRequestError(`${issue.path.join('.') || 'filters'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Checks `filters` (already shaped by the contract) against the certified views and returns the
 * filters the area applies, in a stable key order. Throws BadRequestError for a value naming nothing.
 */
export async function checkKpiFilters(db: KpiDb, area: KpiArea, filters: KpiFilters): Promise<KpiFilters> {
  const f = parseKpiFilters(filters);
  if (f.from) realDate('from', f.from);
  if (f.to) realDate('to', f.to);
  if (f.from && f.to && f.from > f.to) throw new BadRequestError(`from: ${f.from} is after to: ${f.to}`);

  const exists = async (q: SelectQueryBuilder<any, any, any>) => (await firstRows(db, q, 1).execute()).length > 0;
  if (f.categoria !== undefined && !(await exists(db.selectFrom('dw.vw_vendas as v').select('v.categoria_id').where('v.categoria_id', '=', f.categoria))))
    throw new BadRequestError(`categoria: no category ${f.categoria} in the certified sales (GET /api/kpi/filtros lists them)`);
  if (f.campanha !== undefined && !(await exists(db.selectFrom('dw.vw_vendas as v').select('v.campanha_id').where('v.campanha_id', '=', f.campanha))))
    throw new BadRequestError(`campanha: no campaign ${f.campanha} in the certified sales (GET /api/kpi/filtros lists them)`);
  if (f.estado !== undefined && !(await exists(db.selectFrom('dw.vw_vendas as v').select('v.estado').where('v.estado', '=', f.estado))))
    throw new BadRequestError(`estado: no sale delivered to ${f.estado} in the certified sales (GET /api/kpi/filtros lists the states)`);
  if (f.vendedor !== undefined) {
    // a seller may have targets and no sales yet, or sales and no targets: both views are asked
    const [sells, targets] = await Promise.all([
      exists(db.selectFrom('dw.vw_vendas as v').select('v.vendedor_id').where('v.vendedor_id', '=', f.vendedor)),
      exists(db.selectFrom('dw.vw_metas as m').select('m.vendedor_id').where('m.vendedor_id', '=', f.vendedor)),
    ]);
    if (!sells && !targets) throw new BadRequestError(`vendedor: no seller ${f.vendedor} in the certified sales or targets (GET /api/kpi/filtros lists them)`);
  }

  const applied: KpiFilters = {};
  for (const key of AREA_FILTERS[area]) if (f[key] !== undefined) (applied as Record<string, unknown>)[key] = f[key];
  return applied;
}

/** Where clauses of the item filters on a view aliased `v` (vw_vendas or vw_descontos). */
export function itemFilters<Q extends SelectQueryBuilder<any, any, any>>(f: KpiFilters): (q: Q) => Q {
  return (q) => {
    let r: SelectQueryBuilder<any, any, any> = q;
    if (f.from !== undefined) r = r.where('v.data_pedido', '>=', f.from);
    if (f.to !== undefined) r = r.where('v.data_pedido', '<=', f.to);
    if (f.categoria !== undefined) r = r.where('v.categoria_id', '=', f.categoria);
    if (f.estado !== undefined) r = r.where('v.estado', '=', f.estado);
    if (f.vendedor !== undefined) r = r.where('v.vendedor_id', '=', f.vendedor);
    if (f.campanha !== undefined) r = r.where('v.campanha_id', '=', f.campanha);
    return r as Q;
  };
}

/** 'YYYY-MM' of a 'YYYY-MM-DD' date. */
export const monthOfDate = (date: string): string => date.slice(0, 7);

/**
 * The filter combinations whose statements are in the golden T-SQL (sql/generated/statements/kpi.mssql.sql):
 * none, each filter alone and all together. A statement's shape depends only on which filters are
 * present, and each filter adds its own where clause, so these cover every clause; the values are
 * placeholders (the coverage test substitutes real ones).
 */
export const KPI_STATEMENT_FILTERS: readonly KpiFilters[] = [
  {},
  { from: '2026-01-01' },
  { to: '2026-11-29' },
  { categoria: 1 },
  { estado: 'SP' },
  { vendedor: 1 },
  { campanha: 1 },
  { from: '2026-01-01', to: '2026-11-29', categoria: 1, estado: 'SP', vendedor: 1, campanha: 1 },
];
