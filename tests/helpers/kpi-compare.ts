// Helpers of the KPI tests: the filter matrix built from the certified data, the comparison of the
// KPI API (shared/kpi, on the warehouse views) with the reference SQL (sql/kpi/reference, on the
// OLTP source) and a canonical order for arrays whose order is presentation only.
import type { Kysely } from 'kysely';
import { KPI_AREAS, type KpiArea, type KpiFilterOptions, type KpiFilters } from '../../shared/kpi/contract.js';
import { kpiAnswer } from '../../shared/kpi/queries.js';
import { referenceAnswer } from '../../shared/kpi/reference.js';
import { readCertified } from '../../shared/quality/certified.js';
import type { WarehouseTables } from '../../shared/db/schema/index.js';

/** Every array sorted by its elements' JSON: the API orders rows for display, the reference does not. */
export function canonical<T>(value: T): T {
  if (Array.isArray(value)) return value.map(canonical).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)])) as T;
  return value;
}

const middle = <T>(items: readonly T[]): T | undefined => items[Math.floor(items.length / 2)];

/** A matrix of filter combinations over the values the certified data offers (every filter, alone and combined). */
export function filterMatrix(options: KpiFilterOptions): KpiFilters[] {
  const { from, to } = options.periodo;
  if (!from || !to) return [{}];
  const start = new Date(`${from}T00:00:00Z`).getTime();
  const span = new Date(`${to}T00:00:00Z`).getTime() - start;
  const day = (fraction: number) => new Date(start + Math.round((span * fraction) / 86_400_000) * 86_400_000).toISOString().slice(0, 10);
  const window = { from: day(0.3), to: day(0.7) };
  const categoria = middle(options.categorias)?.id;
  const vendedor = middle(options.vendedores)?.id;
  const campanha = middle(options.campanhas)?.id;
  const estado = options.estados.find((e) => /^[A-Z]{2}$/.test(e));
  const some = (f: KpiFilters): KpiFilters => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as KpiFilters;
  const matrix: KpiFilters[] = [
    {},
    window,
    { from: to, to },
    some({ categoria }),
    some({ estado }),
    some({ vendedor }),
    some({ campanha }),
    some({ ...window, categoria, estado }),
    some({ from: window.from, vendedor }),
    some({ to: window.to, campanha }),
    some({ ...window, categoria, estado, vendedor, campanha }),
  ];
  const seen = new Set<string>();
  return matrix.filter((f) => !seen.has(JSON.stringify(f)) && seen.add(JSON.stringify(f)));
}

export interface Comparison {
  area: KpiArea;
  filters: KpiFilters;
}

/**
 * For every area and filter set: the API's data and the reference's, canonically ordered. The
 * caller asserts toEqual on the pairs (one expect, so a difference shows area, filters and value).
 */
export async function compareWithReference(
  dw: Kysely<WarehouseTables>,
  oltp: Kysely<any>,
  matrix: readonly KpiFilters[],
  settings: { QUALITY_FRESHNESS_WARN_MINUTES: number },
) {
  const { certifiedTo } = await readCertified(dw);
  const api: unknown[] = [];
  const reference: unknown[] = [];
  for (const area of KPI_AREAS)
    for (const filters of matrix) {
      const answer = await kpiAnswer(dw, area, filters, settings);
      api.push({ area, filters, data: canonical(answer.data) });
      reference.push({ area, filters, data: canonical(await referenceAnswer(oltp, area, filters, certifiedTo)) });
    }
  return { api, reference, certifiedTo };
}
