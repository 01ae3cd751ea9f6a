// GET /api/dashboard and /api/dashboard/{area} — the dashboard page of an area (vendas, metas,
// descontos; /api/dashboard is vendas'). The page is a static shell (shared/dashboard/page.ts);
// its script reads the KPI API, forwarding the function key it was opened with: on Azure open
// /api/dashboard/vendas?code=<function key>, and the page sends that key as x-functions-key to
// /api/kpi/* (locally no key is needed). Its assets come from GET /api/dashboard-assets/{file}.
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { KPI_AREAS, type KpiArea } from '../shared/kpi/contract.js';
import { dashboardPage, dashboardPaths } from '../shared/dashboard/page.js';
import { DASHBOARD_HEADERS } from '../shared/dashboard/headers.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function dashboardHandler(request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const area = request.params.area || 'vendas';
  if (!(KPI_AREAS as readonly string[]).includes(area)) {
    return {
      status: 404,
      headers: { ...DASHBOARD_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
      body: `no dashboard '${area.slice(0, 40)}'; dashboards: ${KPI_AREAS.join(', ')}`,
    };
  }
  return {
    status: 200,
    headers: { ...DASHBOARD_HEADERS, 'content-type': 'text/html; charset=utf-8' },
    body: dashboardPage(area as KpiArea, dashboardPaths(new URL(request.url).pathname)),
  };
}

export const dashboardRoute = { route: 'dashboard/{area?}', methods: ['GET'] as HttpMethod[], authLevel: 'function' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.http('dashboard', { ...dashboardRoute, handler: dashboardHandler });
