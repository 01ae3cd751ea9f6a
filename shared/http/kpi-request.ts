// The inputs of GET /api/kpi/{area} and GET /api/kpi/filtros, checked before any query: the area
// must be one of the contract's, every parameter a filter of kpiFiltersSchema given once with a
// value, dates real calendar dates with `from` not after `to`, ids whole positive numbers written
// plainly. Values never become SQL: they are handed, typed, to the KPI layer (shared/kpi/), which
// binds them as parameters and refuses a value that names nothing (an unknown seller...).
import { KPI_AREAS, kpiFiltersSchema, type KpiArea, type KpiFilters } from '../kpi/contract.js';
import { BadRequestError } from '../pipeline/bad-request.js';

/** The route segment of GET /api/kpi/filtros (the filter options), beside the three areas. */
export const KPI_FILTER_OPTIONS = 'filtros';

/**
 * Query parameters the Functions host itself reads: `code` is the function key (on Azure it may
 * come as ?code= instead of the x-functions-key header); it is not a filter and is ignored here.
 */
const HOST_PARAMETERS = new Set(['code']);

const FILTER_NAMES = Object.keys(kpiFiltersSchema.shape) as (keyof KpiFilters)[];
const ID_FILTERS = new Set<string>(['categoria', 'vendedor', 'campanha']);

/** Quotes at most 40 characters of a value a caller sent, escaped. */
const quoted = (value: string) => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

/** The `{area}` of GET /api/kpi/{area}: an area of the contract or `filtros`. Throws BadRequestError otherwise. */
export function kpiRouteArea(area: string | undefined): KpiArea | typeof KPI_FILTER_OPTIONS {
  const known: readonly string[] = [...KPI_AREAS, KPI_FILTER_OPTIONS];
  if (area !== undefined && known.includes(area)) return area as KpiArea | typeof KPI_FILTER_OPTIONS;
  throw new BadRequestError(`unknown KPI area ${quoted(area ?? '')}; valid: ${known.join(', ')}`);
}

/** The query's parameters other than the host's own (`code`), each given exactly once. */
function singleValues(query: URLSearchParams): Map<string, string> {
  const values = new Map<string, string>();
  for (const name of new Set(query.keys())) {
    if (HOST_PARAMETERS.has(name)) continue;
    const all = query.getAll(name);
    if (all.length > 1) throw new BadRequestError(`${quoted(name)} must be given once; got it ${all.length} times`);
    values.set(name, all[0]!);
  }
  return values;
}

/** True when `date` (YYYY-MM-DD) is a day of the calendar (not 2026-02-30). */
function isCalendarDate(date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date;
}

/**
 * The filters of GET /api/kpi/{area}, validated with the contract's kpiFiltersSchema. Throws a
 * BadRequestError naming the parameter for an unknown or repeated parameter, an empty value, a
 * malformed date or id, a day that does not exist, or `from` after `to`.
 */
export function kpiFilters(query: URLSearchParams): KpiFilters {
  const values = singleValues(query);
  const unknown = [...values.keys()].filter((name) => !(FILTER_NAMES as string[]).includes(name));
  if (unknown.length > 0)
    throw new BadRequestError(`unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map(quoted).join(', ')}; valid: ${FILTER_NAMES.join(', ')}`);
  for (const [name, value] of values) {
    if (value.trim() === '') throw new BadRequestError(`${name}: empty value; leave the parameter out for no filter`);
    // z.coerce.number would take " 12", "1e3" or "0x10": an id is written plainly or refused
    if (ID_FILTERS.has(name) && !/^[1-9]\d{0,9}$/.test(value))
      throw new BadRequestError(`${name}: expected an id, a whole number from 1; got ${quoted(value)}`);
  }
  const parsed = kpiFiltersSchema.safeParse(Object.fromEntries(values));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? '');
    const value = values.get(name);
    throw new BadRequestError(`${name}: ${issue.message}${value === undefined ? '' : `; got ${quoted(value)}`}`);
  }
  const filters = parsed.data;
  for (const name of ['from', 'to'] as const) {
    const date = filters[name];
    if (date !== undefined && !isCalendarDate(date)) throw new BadRequestError(`${name}: ${quoted(date)} is not a day of the calendar`);
  }
  if (filters.from !== undefined && filters.to !== undefined && filters.from > filters.to)
    throw new BadRequestError(`from (${filters.from}) is after to (${filters.to}); both are inclusive order dates`);
  return filters;
}

/** GET /api/kpi/filtros takes no parameters (besides the host's `code`). */
export function kpiFilterOptionsQuery(query: URLSearchParams): void {
  const names = [...singleValues(query).keys()];
  if (names.length > 0) throw new BadRequestError(`GET /api/kpi/filtros takes no parameters; got ${names.map(quoted).join(', ')}`);
}
