// The KPI API's work for one year of data, timed on a loaded warehouse (issue 12's done-when: a
// year of data at scale 10 on PostgreSQL in under 1 s per request). The year is the last 12 months
// of the certified order dates: `to` = the newest certified order day, `from` = the day after the
// same day a year earlier. Each area (kpiAnswer for vendas, metas and descontos; filterOptions for
// GET /api/kpi/filtros) runs `reps` times one after another, after one untimed warm-up pass; the
// times are per request (the whole call: filter checks, envelope and every statement).
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../../shared/db/schema/index.js';
import { filterOptions, kpiAnswer } from '../../shared/kpi/queries.js';

export const KPI_BENCH_AREAS = ['vendas', 'metas', 'descontos', 'filtros'] as const;
export type KpiBenchArea = (typeof KPI_BENCH_AREAS)[number];

export interface KpiTimings {
  /** the window timed (null when nothing is certified: no request is timed) */
  window: { from: string; to: string } | null;
  /** per area, the inner time of each repetition */
  requestMs: Record<KpiBenchArea, number[]>;
}

/** The last 12 months of the certified order dates. */
export function oneYearBefore(to: string): string {
  const d = new Date(`${to}T00:00:00.000Z`);
  d.setUTCFullYear(d.getUTCFullYear() - 1);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export async function timeKpiApi(db: Kysely<WarehouseTables>, reps: number): Promise<KpiTimings> {
  const settings = { QUALITY_FRESHNESS_WARN_MINUTES: 60 * 24 * 365 };
  const requestMs: KpiTimings['requestMs'] = { vendas: [], metas: [], descontos: [], filtros: [] };
  const options = await filterOptions(db);
  const to = options.periodo.to;
  if (!to) return { window: null, requestMs };
  const window = { from: oneYearBefore(to), to };
  const call = (area: KpiBenchArea) => (area === 'filtros' ? filterOptions(db) : kpiAnswer(db, area, window, settings));
  for (const area of KPI_BENCH_AREAS) await call(area); // warm-up: plans and caches, as a serving app has them
  for (let i = 0; i < reps; i++)
    for (const area of KPI_BENCH_AREAS) {
      const started = performance.now();
      await call(area);
      requestMs[area].push(performance.now() - started);
    }
  return { window, requestMs };
}
