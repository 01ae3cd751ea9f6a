// The HTML of a dashboard page (GET /api/dashboard/{area}): a static shell per area, the same for
// every request. It holds no data and reflects nothing from the request but the paths it was
// reached on (checked below); the page script (assets/dashboard.js) fills the filter controls from
// GET /api/kpi/filtros and the tiles, charts and tables from GET /api/kpi/{area}.
import { KPI_AREAS, type KpiArea } from '../kpi/contract.js';

export const DASHBOARD_TITLES: Record<KpiArea, { nav: string; title: string }> = {
  vendas: { nav: 'Vendas', title: 'Vendas' },
  metas: { nav: 'Metas', title: 'Metas de vendedores' },
  descontos: { nav: 'Descontos e ROI', title: 'Descontos e ROI de campanhas' },
};

const FILTERS = [
  { name: 'from', label: 'De (data do pedido)', kind: 'date' },
  { name: 'to', label: 'Até (data do pedido)', kind: 'date' },
  { name: 'categoria', label: 'Categoria', kind: 'select', all: 'Todas' },
  { name: 'estado', label: 'Estado (UF)', kind: 'select', all: 'Todos' },
  { name: 'vendedor', label: 'Vendedor', kind: 'select', all: 'Todos' },
  { name: 'campanha', label: 'Campanha', kind: 'select', all: 'Todas' },
] as const;

/**
 * The base paths of a page reached on `pathname` (/api/dashboard or /api/dashboard/<area>): the
 * dashboards' own (/api/dashboard) and the assets' (/api/dashboard-assets), so the page works
 * under any route prefix. Only path characters the router matched are kept.
 */
export function dashboardPaths(pathname: string): { dashboards: string; assets: string } {
  const m = /^(.*?\/)dashboard(?:\/[^/]*)?\/?$/i.exec(pathname);
  const prefix = m && /^[A-Za-z0-9/_-]*$/.test(m[1]!) ? m[1]! : '/api/';
  return { dashboards: `${prefix}dashboard`, assets: `${prefix}dashboard-assets` };
}

/** The page of one area; `paths` from dashboardPaths. */
export function dashboardPage(area: KpiArea, paths: { dashboards: string; assets: string }): string {
  const nav = KPI_AREAS.map(
    (a) => `<li><a href="${paths.dashboards}/${a}" data-area-link="${a}"${a === area ? ' aria-current="page"' : ''}>${DASHBOARD_TITLES[a].nav}</a></li>`,
  ).join('');
  const controls = FILTERS.map((f) =>
    f.kind === 'date'
      ? `<div class="field"><label for="f-${f.name}">${f.label}</label><input type="date" id="f-${f.name}" name="${f.name}"></div>`
      : `<div class="field"><label for="f-${f.name}">${f.label}</label><select id="f-${f.name}" name="${f.name}"><option value="">${f.all}</option></select></div>`,
  ).join('\n        ');
  return `<!doctype html>
<html lang="pt-BR">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <link rel="icon" href="data:,">
    <title>${DASHBOARD_TITLES[area].title} · vendas-analytics</title>
    <link rel="stylesheet" href="${paths.assets}/dashboard.css">
    <script src="${paths.assets}/echarts.min.js" defer></script>
    <script src="${paths.assets}/dashboard.js" defer></script>
  </head>
  <body data-area="${area}" data-ready="false">
    <a class="skip" href="#conteudo">Pular para os indicadores</a>
    <header class="top">
      <p class="brand">vendas-analytics</p>
      <nav aria-label="Painéis"><ul>${nav}</ul></nav>
    </header>
    <main id="conteudo" tabindex="-1">
      <h1>${DASHBOARD_TITLES[area].title}</h1>
      <p id="certificacao" class="banner" role="status">Carregando a certificação dos dados…</p>
      <p id="aviso" class="warning" hidden></p>
      <form id="filtros" class="filters" aria-labelledby="h-filtros" novalidate>
        <h2 id="h-filtros" class="visually-hidden">Filtros</h2>
        ${controls}
        <div class="actions">
          <button type="submit">Aplicar filtros</button>
          <button type="button" id="limpar" class="secondary">Limpar</button>
        </div>
        <p id="periodo" class="hint"></p>
        <p id="ignorados" class="hint" hidden></p>
      </form>
      <div id="erro" class="error" role="alert" hidden></div>
      <div id="dados" aria-live="polite" aria-busy="true"></div>
    </main>
    <footer><p>Valores monetários em reais (BRL). Definições dos indicadores: docs/kpis.md.</p></footer>
  </body>
</html>
`;
}
