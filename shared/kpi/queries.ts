// The KPI query layer: what GET /api/kpi/{area} and GET /api/kpi/filtros answer. It reads only the
// certified views (dw.vw_vendas, dw.vw_descontos, dw.vw_metas) and, for the envelope, etl.certified
// and etl.run. Filters are checked first (a value naming nothing is a BadRequestError) and reach
// SQL only as parameters. Money is summed in SQL and read as exact decimal text; ratios are exact
// fractions rounded half up to 4 places. Definitions of every number: docs/kpis.md.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import type { KpiArea, KpiData, KpiEnvelope, KpiFilterOptions, KpiFilters } from './contract.js';
import { descontosData } from './descontos.js';
import { envelope, readEnvelopeHead, type EnvelopeSettings } from './envelope.js';
import { checkKpiFilters } from './filters.js';
import { metasData } from './metas.js';
import { filterOptions as readFilterOptions } from './options.js';
import { vendasData } from './vendas.js';
import { withKpiViews, type KpiDb } from './views.js';

export { BadRequestError } from '../pipeline/bad-request.js';
export type { EnvelopeSettings } from './envelope.js';
export { parseKpiFilters } from './filters.js';

/** The data of one area (a plain call per area: the golden T-SQL names each statement's caller from the stack). */
function areaData<A extends KpiArea>(db: KpiDb, area: A, f: KpiFilters): Promise<KpiData[A]> {
  if (area === 'vendas') return vendasData(db, f) as Promise<KpiData[A]>;
  if (area === 'metas') return metasData(db, f) as Promise<KpiData[A]>;
  return descontosData(db, f) as Promise<KpiData[A]>;
}

/**
 * The answer of one KPI area for `filters` (as the contract's schema shaped them; raw query strings
 * go through parseKpiFilters or kpiFiltersSchema first). Throws BadRequestError for a filter value
 * naming nothing. `now` decides staleness (default: the clock).
 */
export async function kpiAnswer<A extends KpiArea>(
  db: Kysely<WarehouseTables>,
  area: A,
  filters: KpiFilters,
  settings: EnvelopeSettings,
  now = new Date(),
): Promise<KpiEnvelope<KpiData[A]>> {
  const views = withKpiViews(db);
  const applied = await checkKpiFilters(views, area, filters);
  const head = await readEnvelopeHead(db, settings, now);
  const data = await areaData(views, area, applied);
  return envelope(area, applied, head, data);
}

/** The values each filter control offers (GET /api/kpi/filtros). */
export function filterOptions(db: Kysely<WarehouseTables>): Promise<KpiFilterOptions> {
  return readFilterOptions(withKpiViews(db));
}
