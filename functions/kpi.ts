// GET /api/kpi/{area} — the KPIs of an area (vendas, metas, descontos) for the filters of the query
// string (from, to, categoria, estado, vendedor, campanha), as the contract's KpiEnvelope
// (shared/kpi/contract.ts): money as exact decimal strings, the certified-as-of time, the last run
// and whether the data is stale.
// GET /api/kpi/filtros — the values each filter offers (KpiFilterOptions).
// One function for both (a literal segment and a parameter on one route would depend on the
// host's route precedence). A malformed request is a 400 before any query
// (shared/http/kpi-request.ts); a value naming nothing (an unknown seller) is the KPI layer's 400.
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { KPI_FILTER_OPTIONS, kpiFilterOptionsQuery, kpiFilters, kpiRouteArea } from '../shared/http/kpi-request.js';
import { filterOptions, kpiAnswer } from '../shared/kpi/queries.js';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { refusal } from './runtime/refusal.js';
import { underFunctionsHost } from './runtime/functions-host.js';

/** Answers are the warehouse's state now: no cache keeps yesterday's numbers after a run. */
const NO_STORE = { 'cache-control': 'no-store' };

export async function kpiHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const area = kpiRouteArea(request.params.area);
    if (area === KPI_FILTER_OPTIONS) {
      kpiFilterOptionsQuery(request.query);
      const { dw } = await pipelineContext(invocationLogger(context));
      return { status: 200, headers: NO_STORE, jsonBody: await filterOptions(dw.db) };
    }
    const filters = kpiFilters(request.query);
    const { dw, settings } = await pipelineContext(invocationLogger(context));
    return { status: 200, headers: NO_STORE, jsonBody: await kpiAnswer(dw.db, area, filters, settings) };
  } catch (e) {
    return { ...refusal(e), headers: NO_STORE };
  }
}

export const kpiRoute = { route: 'kpi/{area}', methods: ['GET'] as HttpMethod[], authLevel: 'function' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.http('kpi', { ...kpiRoute, handler: kpiHandler });
