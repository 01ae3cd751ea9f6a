// The dashboard functions without a browser: the page shell of each area, its headers, the static
// assets served from the app itself (ECharts from node_modules, never a CDN) and what is refused.
import functions from '@azure/functions';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dashboardAssetsHandler } from '../../functions/dashboard-assets.js';
import { dashboardHandler } from '../../functions/dashboard.js';
import { dashboardPaths } from '../../shared/dashboard/page.js';

const { HttpRequest, InvocationContext } = functions;

const call = (handler: typeof dashboardHandler, url: string, params: Record<string, string>) =>
  handler(new HttpRequest({ method: 'GET', url, params }), new InvocationContext());

describe('GET /api/dashboard/{area?}', () => {
  it.each([
    ['/api/dashboard', 'vendas', {}],
    ['/api/dashboard/vendas', 'vendas', { area: 'vendas' }],
    ['/api/dashboard/metas?code=k', 'metas', { area: 'metas' }],
    ['/api/dashboard/descontos', 'descontos', { area: 'descontos' }],
  ])('%s is the %s page: pt-BR, own scripts only, no data, no referrer', async (path, area, params) => {
    const res = await call(dashboardHandler, `http://127.0.0.1:7071${path}`, params);
    expect(res.status).toBe(200);
    const headers = res.headers as Record<string, string>;
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['referrer-policy']).toBe('no-referrer');
    const html = res.body as string;
    expect(html).toContain('<html lang="pt-BR">');
    expect(html).toContain(`data-area="${area}"`);
    expect(html).toContain('<script src="/api/dashboard-assets/echarts.min.js" defer></script>');
    expect(html).toContain(`href="/api/dashboard/${area}" data-area-link="${area}" aria-current="page"`);
    // no inline script, nothing from another origin, and the key of ?code= is never written into the page
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toContain('code=');
    for (const label of ['De (data do pedido)', 'Até (data do pedido)', 'Categoria', 'Estado (UF)', 'Vendedor', 'Campanha'])
      expect(html).toContain(`>${label}</label>`);
  });

  it('an unknown area is a 404 naming the dashboards', async () => {
    const res = await call(dashboardHandler, 'http://127.0.0.1:7071/api/dashboard/lucros', { area: 'lucros' });
    expect(res.status).toBe(404);
    expect(res.body).toBe("no dashboard 'lucros'; dashboards: vendas, metas, descontos");
  });

  it('the page finds its dashboards and assets under the route prefix it was reached on', () => {
    expect(dashboardPaths('/api/dashboard')).toEqual({ dashboards: '/api/dashboard', assets: '/api/dashboard-assets' });
    expect(dashboardPaths('/api/dashboard/metas/')).toEqual({ dashboards: '/api/dashboard', assets: '/api/dashboard-assets' });
    expect(dashboardPaths('/Dashboard/metas')).toEqual({ dashboards: '/dashboard', assets: '/dashboard-assets' });
    // a path with anything odd in its prefix falls back to /api/ rather than being written into the page
    expect(dashboardPaths('/a"b/dashboard')).toEqual({ dashboards: '/api/dashboard', assets: '/api/dashboard-assets' });
  });
});

describe('GET /api/dashboard-assets/{file}', () => {
  it('serves Apache ECharts from the echarts dependency, byte for byte', async () => {
    const res = await call(dashboardAssetsHandler, 'http://127.0.0.1:7071/api/dashboard-assets/echarts.min.js', { file: 'echarts.min.js' });
    expect(res.status).toBe(200);
    expect((res.headers as Record<string, string>)['content-type']).toBe('text/javascript; charset=utf-8');
    const file = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
    expect(res.body).toBe(readFileSync(file, 'utf8'));
    const { version } = JSON.parse(readFileSync(file.replace(/dist\/echarts\.min\.js$/, 'package.json'), 'utf8')) as { version: string };
    expect(version).toMatch(/^6\./);
  });

  it.each([
    ['dashboard.js', 'text/javascript; charset=utf-8'],
    ['dashboard.css', 'text/css; charset=utf-8'],
  ])('serves %s from shared/dashboard/assets', async (file, type) => {
    const res = await call(dashboardAssetsHandler, `http://127.0.0.1:7071/api/dashboard-assets/${file}`, { file });
    expect(res.status).toBe(200);
    expect((res.headers as Record<string, string>)['content-type']).toBe(type);
    expect(res.body).toBe(readFileSync(`shared/dashboard/assets/${file}`, 'utf8'));
  });

  it.each(['../package.json', '..%2Fpackage.json', 'package.json', 'constructor', '__proto__', ''])('refuses %j with a 404', async (file) => {
    const res = await call(dashboardAssetsHandler, `http://127.0.0.1:7071/api/dashboard-assets/x`, { file });
    expect(res.status).toBe(404);
  });
});
