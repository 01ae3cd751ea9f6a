// GET /api/dashboard-assets/{file} — the dashboards' static files: dashboard.js, dashboard.css
// and Apache ECharts' echarts.min.js, from the app itself (shared/dashboard/assets.ts says where
// they live). Anonymous: they are the same public code for everyone and carry no data; every
// number the dashboards show comes from the KPI API, which takes the function key.
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { dashboardAsset, DASHBOARD_ASSET_NAMES } from '../shared/dashboard/assets.js';
import { DASHBOARD_HEADERS } from '../shared/dashboard/headers.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function dashboardAssetsHandler(request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const name = request.params.file ?? '';
  const asset = dashboardAsset(name);
  if (!asset) {
    return {
      status: 404,
      headers: { ...DASHBOARD_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
      body: `no asset '${name.slice(0, 40)}'; assets: ${DASHBOARD_ASSET_NAMES.join(', ')}`,
    };
  }
  // short caching: a redeploy's new page script is picked up within 5 minutes
  return { status: 200, headers: { ...DASHBOARD_HEADERS, 'content-type': asset.contentType, 'cache-control': 'public, max-age=300' }, body: asset.body };
}

export const dashboardAssetsRoute = { route: 'dashboard-assets/{file}', methods: ['GET'] as HttpMethod[], authLevel: 'anonymous' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.http('dashboardAssets', { ...dashboardAssetsRoute, handler: dashboardAssetsHandler });
