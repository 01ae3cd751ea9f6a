// The dashboards in a real browser (Debian's Chromium through playwright-core): the local Functions
// host serves the app's HTTP routes in-process over seeded data after one daily run; each page is
// opened, filters are set through its controls, and once the page says it is ready every KPI
// element must carry the API's exact value in data-value and show it formatted for pt-BR. A bad
// filter shows its message (role=alert), never a blank chart. axe-core finds no violations.
// Screenshots of the three pages go to a temporary folder, or, with
// UPDATE_SCREENSHOTS=1, to docs/screenshots/<area>.png (committed, for the README): a test run
// does not rewrite committed files.
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { LocalHost } from '../../dev/host.js';
import { getDatabase } from '../../shared/db/connections.js';
import { KPI_AREAS, type KpiArea, type KpiEnvelope, type KpiFilterOptions, type KpiFilters } from '../../shared/kpi/contract.js';
import { referenceAnswer } from '../../shared/kpi/reference.js';
import { seedBase } from '../../shared/seed/base.js';
import { brazilianContext, launchChromium, ptBR, sameSpaces } from '../helpers/browser.js';
import { startTestHost, stopTestHost } from '../helpers/host.js';

const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : mkdtempSync(join(tmpdir(), 'dashboard-screenshots-'));

/** The tiles whose values are ratios (4-place fraction strings); the other strings are money, numbers are counts. */
const RATIO_TILES = new Set(['margemPercentual', 'taxaCancelamento', 'atingimento', 'roi', 'participacaoDesconto']);
/** Table columns holding ratios, the same way. */
const RATIO_FIELDS = new Set(['atingimento', 'roi', 'participacao']);

let host: LocalHost;
let browser: Browser;
let context: BrowserContext;
let options: KpiFilterOptions;
const logs: string[] = [];

beforeAll(async () => {
  // fails here, with the install command, when Chromium is missing (never a silent skip)
  browser = await launchChromium();
  ({ host } = await startTestHost({ container: 'raw-browser-test', httpPort: 0, log: (l) => logs.push(l) }));
  // a fixed seed and date: the same data (and screenshots) on every run
  await seedBase(await getDatabase('oltp'), { scale: 0.02, seed: 7, asOf: new Date('2026-11-28T12:00:00Z') });
  await host.fireTimer('extract');
  await host.drain(500);
  context = await brazilianContext(browser);
  options = (await api('/api/kpi/filtros')).body as KpiFilterOptions;
}, 300_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stopTestHost();
});

async function api(path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${host.url}${path}`);
  return { status: res.status, body: await res.json() };
}

const query = (filters: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(filters).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]]))).toString();

/** The page's state as its script sets it on <body> (no DOM types in this project: expressions as strings). */
const bodyData = (page: Page, name: 'state' | 'loads') => page.evaluate<string | undefined>(`document.body.dataset.${name}`);
/** Waits until the page has finished a load after the `loads`-th one (a function, not a string: the page's CSP forbids eval). */
const loadedAfter = (page: Page, loads: number) =>
  page.waitForFunction(
    (n) => {
      const body = (globalThis as unknown as { document: { body: { dataset: Record<string, string | undefined> } } }).document.body;
      return body.dataset.ready === 'true' && Number(body.dataset.loads) > n;
    },
    loads,
    { timeout: 30_000 },
  );
/** The id of the focused element, or its text. */
const focused = (page: Page) => page.evaluate<string>(`document.activeElement?.id || document.activeElement?.textContent || ''`);

/** Opens a dashboard and waits until it has rendered its first answer. */
async function open(area: string, search = ''): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${host.url}/api/dashboard/${area}${search}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  expect(errors).toEqual([]);
  return page;
}

/** Sets the filters through the page's controls, applies them and waits for the new answer. */
async function applyFilters(page: Page, filters: KpiFilters): Promise<void> {
  await page.getByRole('button', { name: 'Limpar' }).click();
  await page.waitForSelector('body[data-ready="true"]');
  await page.getByLabel('De (data do pedido)').fill(filters.from ?? '');
  await page.getByLabel('Até (data do pedido)').fill(filters.to ?? '');
  for (const [label, value] of [
    ['Categoria', filters.categoria],
    ['Estado (UF)', filters.estado],
    ['Vendedor', filters.vendedor],
    ['Campanha', filters.campanha],
  ] as const)
    await page.getByLabel(label, { exact: true }).selectOption(value === undefined ? '' : String(value));
  const loads = Number(await bodyData(page, 'loads'));
  await page.getByRole('button', { name: 'Aplicar filtros' }).click();
  await loadedAfter(page, loads);
}

interface Shown {
  kpi: string;
  value: string | null;
  text: string;
}

/** Every tile of the page: its key, data-value and visible text. */
const tiles = (page: Page): Promise<Shown[]> =>
  page.$$eval('[data-kpi]', (els) => els.map((e) => ({ kpi: e.getAttribute('data-kpi')!, value: e.getAttribute('data-value'), text: e.textContent ?? '' })));

const expectedText = (key: string, value: unknown, ratios: Set<string>) =>
  typeof value === 'number' ? ptBR.count(value) : ratios.has(key) ? ptBR.ratio(value as string | null) : ptBR.money(value as string | null);

/** The page shows exactly the API's answer for these filters: tiles, tables and banner. */
async function expectPageEqualsApi(page: Page, area: KpiArea, filters: KpiFilters): Promise<void> {
  const { status, body } = await api(`/api/kpi/${area}?${query(filters)}`);
  expect(status).toBe(200);
  const answer = body as KpiEnvelope<{ tiles: Record<string, string | number | null> } & Record<string, unknown>>;
  // the same KPIs written a second time against the OLTP source (sql/kpi/reference/), for the filters the area applied
  const reference = (await referenceAnswer(
    (await getDatabase('oltp')).db,
    area,
    answer.filters,
    answer.certifiedTo ? new Date(answer.certifiedTo) : null,
  )) as unknown as {
    tiles: Record<string, string | number | null>;
  };
  const shown = await tiles(page);
  expect(shown.map((t) => t.kpi).sort()).toEqual(Object.keys(answer.data.tiles).sort());
  for (const tile of shown) {
    const value = answer.data.tiles[tile.kpi];
    const dataValue = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));
    expect({ kpi: tile.kpi, value: tile.value }).toEqual({ kpi: tile.kpi, value: dataValue(value) });
    expect({ kpi: tile.kpi, value: tile.value }).toEqual({ kpi: tile.kpi, value: dataValue(reference.tiles[tile.kpi]) });
    expect({ kpi: tile.kpi, text: sameSpaces(tile.text) }).toEqual({ kpi: tile.kpi, text: sameSpaces(expectedText(tile.kpi, value, RATIO_TILES)) });
  }
  // every table under a chart (or on its own) holds the API's rows in the API's order
  const tables = await page.$$eval('table[data-source]', (els) =>
    els.map((t) => ({
      source: t.getAttribute('data-source')!,
      rows: [...t.querySelectorAll('tbody tr')]
        .filter((tr) => tr.querySelector('[data-field]'))
        .map((tr) =>
          [...tr.querySelectorAll('td[data-value]')].map((td) => ({
            field: td.getAttribute('data-field')!,
            value: td.getAttribute('data-value'),
            text: td.textContent ?? '',
          })),
        ),
    })),
  );
  expect(tables.length).toBeGreaterThan(0);
  for (const table of tables) {
    const rows = answer.data[table.source] as Record<string, string | number | null>[];
    expect({ source: table.source, rows: table.rows.length }).toEqual({ source: table.source, rows: rows.length });
    table.rows.forEach((cells, i) => {
      for (const cell of cells) {
        const value = rows[i]![cell.field];
        expect({ source: table.source, row: i, field: cell.field, value: cell.value }).toEqual({
          source: table.source,
          row: i,
          field: cell.field,
          value: value === null ? '' : String(value),
        });
        expect(sameSpaces(cell.text)).toBe(sameSpaces(expectedText(cell.field, value, RATIO_FIELDS)));
      }
    });
  }
  // filters the area does not apply (metas: categoria, estado, campanha) are named, not silently dropped
  const labels: Record<string, string> = { from: 'De', to: 'Até', categoria: 'Categoria', estado: 'Estado', vendedor: 'Vendedor', campanha: 'Campanha' };
  const ignored = Object.keys(filters).filter((k) => !(k in answer.filters));
  const note = page.locator('#ignorados');
  if (ignored.length) expect(await note.textContent()).toBe(`Neste painel não se aplica: ${ignored.map((k) => labels[k]).join(', ')}.`);
  else expect(await note.isVisible()).toBe(false);
  const banner = await page.locator('#certificacao').textContent();
  if (answer.certifiedTo) expect(sameSpaces(banner ?? '')).toContain(sameSpaces(`Dados certificados até ${ptBR.instant(answer.certifiedTo)}`));
  const warning = page.locator('#aviso');
  if (answer.stale || answer.lastRun?.status === 'failed') await expect(warning.isVisible()).resolves.toBe(true);
  else await expect(warning.isVisible()).resolves.toBe(false);
}

/** The filter combinations each dashboard is checked with, from the options the API offers. */
function filterMatrix(): { name: string; filters: KpiFilters }[] {
  const to = options.periodo.to!;
  const threeMonthsBefore = new Date(Date.parse(`${to}T00:00:00Z`) - 90 * 86_400_000).toISOString().slice(0, 10);
  const [categoria, estado, vendedor, campanha] = [options.categorias[0]?.id, options.estados[0], options.vendedores[0]?.id, options.campanhas[0]?.id];
  return [
    { name: 'no filter', filters: {} },
    { name: 'the last 90 days', filters: { from: threeMonthsBefore, to } },
    { name: 'one category and one state', filters: { categoria, estado } },
    { name: 'one seller since a date', filters: { vendedor, from: threeMonthsBefore } },
    { name: 'one campaign over the whole period', filters: { campanha, from: options.periodo.from!, to } },
  ];
}

describe('dashboards in Chromium', () => {
  it('the seeded warehouse offers something to filter by', () => {
    expect(options.periodo.from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const list of [options.categorias, options.estados, options.vendedores, options.campanhas]) expect(list.length).toBeGreaterThan(0);
  });

  describe.each(KPI_AREAS)('%s', (area) => {
    it('shows the API numbers in pt-BR for every filter combination set through the page', async () => {
      const page = await open(area);
      try {
        for (const { filters } of filterMatrix()) {
          await applyFilters(page, filters);
          expect(await bodyData(page, 'state')).toBe('ok');
          // the page's address keeps the filters, so a link reopens the same view
          expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual(Object.fromEntries(new URLSearchParams(query(filters))));
          await expectPageEqualsApi(page, area, filters);
        }
      } finally {
        await page.close();
      }
    });

    it('has no accessibility violations (axe-core) and is saved as a screenshot', async () => {
      const page = await open(area);
      try {
        const { violations } = await new AxeBuilder({ page }).analyze();
        expect(violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }))).toEqual([]);
        expect(await page.locator('.chart[role="img"]').count()).toBeGreaterThan(0);
        for (const chart of await page.locator('.chart').all()) expect(await chart.getAttribute('aria-label')).toBeTruthy();
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOTS, `${area}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    });
  });

  it('a filter the API refuses shows its message (role=alert) instead of charts, and axe finds nothing there either', async () => {
    const page = await open('vendas');
    try {
      // from after to, set through the date controls
      await applyFilters(page, { from: options.periodo.to!, to: options.periodo.from! });
      expect(await bodyData(page, 'state')).toBe('error');
      const alert = page.getByRole('alert');
      await expect(alert.isVisible()).resolves.toBe(true);
      const { body } = await api(`/api/kpi/vendas?${query({ from: options.periodo.to!, to: options.periodo.from! })}`);
      expect(await alert.textContent()).toContain('Filtro inválido');
      expect(await alert.textContent()).toContain((body as { error: string }).error);
      expect(await page.locator('.chart, [data-kpi]').count()).toBe(0);
      const { violations } = await new AxeBuilder({ page }).analyze();
      expect(violations.map((v) => v.id)).toEqual([]);
      // a valid filter afterwards brings the data back and hides the message
      await applyFilters(page, {});
      await expect(alert.isVisible()).resolves.toBe(false);
      expect(await page.locator('[data-kpi]').count()).toBeGreaterThan(0);
    } finally {
      await page.close();
    }
  });

  it.each([
    ['an unknown seller', '?vendedor=999999', 'vendedor'],
    ['a date that is not a date', '?from=2026-13-45', 'from'],
    ['a state with no sale', '?estado=ZZ', 'estado'],
  ])('a page address with %s shows the API 400 message', async (_name, search, field) => {
    const page = await open('metas', search);
    try {
      expect(await bodyData(page, 'state')).toBe('error');
      const text = await page.getByRole('alert').textContent();
      expect(text).toContain('Filtro inválido');
      expect(text).toContain(field);
      expect(await page.locator('.chart').count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('works from the keyboard: skip link first, then the controls, and Enter applies the filters', async () => {
    const page = await open('vendas');
    try {
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('Pular para os indicadores');
      // Tab walks the navigation, then every control in order (a date input stops on each of its
      // day, month and year fields), up to the apply button
      const order: string[] = [];
      for (let i = 0; i < 30 && order.at(-1) !== 'Aplicar filtros'; i++) {
        await page.keyboard.press('Tab');
        const id = await focused(page);
        if (order.at(-1) !== id) order.push(id);
      }
      expect(order).toEqual(['Vendas', 'Metas', 'Descontos e ROI', 'f-from', 'f-to', 'f-categoria', 'f-estado', 'f-vendedor', 'f-campanha', 'Aplicar filtros']);
      await page.focus('#f-estado');
      await page.keyboard.press('ArrowDown');
      const estado = await page.locator('#f-estado').inputValue();
      expect(estado).toBe(options.estados[0]);
      // estado, vendedor, campanha, then the apply button
      for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('Aplicar filtros');
      const loads = Number(await bodyData(page, 'loads'));
      await page.keyboard.press('Enter');
      await loadedAfter(page, loads);
      await expectPageEqualsApi(page, 'vendas', { estado });
    } finally {
      await page.close();
    }
  });

  it('warns when the last run failed or the data is stale, and says so when nothing is certified yet', async () => {
    const page = await context.newPage();
    try {
      // the API's real answer, changed on its way to the page: the warning is the page's to show
      let change: (answer: KpiEnvelope<unknown>) => KpiEnvelope<unknown> = (a) => a;
      await page.route('**/api/kpi/vendas*', async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, json: change((await response.json()) as KpiEnvelope<unknown>) });
      });
      const warningFor = async (edit: typeof change) => {
        change = edit;
        const loads = Number((await bodyData(page, 'loads')) ?? 0);
        await (loads === 0 ? page.goto(`${host.url}/api/dashboard/vendas`) : page.getByRole('button', { name: 'Aplicar filtros' }).click());
        await loadedAfter(page, loads);
        const warning = page.locator('#aviso');
        return {
          visible: await warning.isVisible(),
          text: (await warning.textContent()) ?? '',
          banner: (await page.locator('#certificacao').textContent()) ?? '',
        };
      };
      const failed = await warningFor((a) => ({
        ...a,
        stale: true,
        lastRun: { runId: '20261130T030000123Z-1a2b3c', status: 'failed', finishedAt: '2026-11-30T03:05:00.000Z' },
      }));
      expect(failed.visible).toBe(true);
      expect(sameSpaces(failed.text)).toBe(
        sameSpaces(
          `Atenção: a última execução do pipeline (20261130T030000123Z-1a2b3c) falhou em ${ptBR.instant('2026-11-30T03:05:00.000Z')}. Os números abaixo são os da última certificação.`,
        ),
      );
      const stale = await warningFor((a) => ({ ...a, stale: true }));
      expect(stale.visible).toBe(true);
      expect(stale.text).toContain('os dados estão desatualizados');
      const fresh = await warningFor((a) => ({ ...a, stale: false }));
      expect(fresh.visible).toBe(false);
      const uncertified = await warningFor((a) => ({ ...a, certifiedTo: null, stale: true }));
      expect(uncertified.banner).toContain('Ainda não há dados certificados');
      expect(uncertified.visible).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('an answer without rows says so in every chart and table instead of drawing nothing', async () => {
    const page = await context.newPage();
    try {
      await page.route('**/api/kpi/descontos*', async (route) => {
        const response = await route.fetch();
        const answer = (await response.json()) as KpiEnvelope<Record<string, unknown>>;
        await route.fulfill({ response, json: { ...answer, data: { ...answer.data, porCampanha: [], porFaixa: [] } } });
      });
      await page.goto(`${host.url}/api/dashboard/descontos`);
      await page.waitForSelector('body[data-ready="true"]');
      for (const chart of await page.locator('.chart').all()) expect(await chart.getAttribute('aria-label')).toContain('Sem dados para os filtros escolhidos');
      expect(await page.locator('.chart svg text', { hasText: 'Sem dados para os filtros escolhidos.' }).count()).toBe(2);
      expect(await page.locator('table[data-rows="0"] td', { hasText: 'Sem dados para os filtros escolhidos.' }).count()).toBe(2);
    } finally {
      await page.close();
    }
  });

  it('an answer the host fails (500) is a message too, not a blank page', async () => {
    const page = await context.newPage();
    try {
      await page.route('**/api/kpi/metas*', (route) => route.fulfill({ status: 500, body: '' }));
      await page.goto(`${host.url}/api/dashboard/metas`);
      await page.waitForSelector('body[data-ready="true"]');
      expect(await bodyData(page, 'state')).toBe('error');
      expect(await page.getByRole('alert').textContent()).toBe('Não foi possível carregar os indicadores (HTTP 500).');
    } finally {
      await page.close();
    }
  });

  it('opened with ?code=<function key>, the page sends the key to the KPI API as x-functions-key', async () => {
    const page = await context.newPage();
    const keys: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/kpi/')) keys.push(r.headers()['x-functions-key']);
    });
    try {
      await page.goto(`${host.url}/api/dashboard/descontos?code=test-key`);
      await page.waitForSelector('body[data-ready="true"]');
      expect(keys.length).toBe(2); // filtros, then descontos
      expect(keys).toEqual(['test-key', 'test-key']);
      // the navigation keeps the key (and the filters) for the other dashboards
      expect(await page.locator('a[data-area-link="vendas"]').getAttribute('href')).toBe('/api/dashboard/vendas?code=test-key');
    } finally {
      await page.close();
    }
  });
});
