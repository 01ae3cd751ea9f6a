// The dashboards' page script (served by GET /api/dashboard-assets/dashboard.js, no build step).
// Reads the filter options (GET /api/kpi/filtros) and the area's KPIs (GET /api/kpi/{area}) and
// renders the tiles, ECharts charts and an HTML table under each chart, formatted for pt-BR.
// Every number element carries the API's exact value in data-value ("" for null); the visible
// text is that value through Intl 'pt-BR' (money in BRL, ratios as percentages with 2 places).
// document.body.dataset.ready is "false" while loading and "true" once everything is rendered,
// data-state says "ok" or "error" (a refused filter shows its message in #erro, role=alert).
// On Azure the page is opened with ?code=<function key>: the key goes to the API as x-functions-key.
/* global document, window, location, history, fetch, URLSearchParams, echarts */
(function () {
  'use strict';

  const area = document.body.dataset.area;
  const FILTERS = ['from', 'to', 'categoria', 'estado', 'vendedor', 'campanha'];
  // the API's base: the page is at <base>/dashboard[/<area>]
  const base = location.pathname.replace(/\/dashboard(\/[^/]*)?\/?$/i, '');
  const pageQuery = new URLSearchParams(location.search);
  const functionKey = pageQuery.get('code');

  // ---- pt-BR formatting ---------------------------------------------------------------------
  const moneyFormat = new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' });
  const moneyCompact = new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL', notation: 'compact', maximumFractionDigits: 1 });
  const ratioFormat = new Intl.NumberFormat('pt-BR', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const countFormat = new Intl.NumberFormat('pt-BR');
  const monthFormat = new Intl.DateTimeFormat('pt-BR', { month: 'short', year: 'numeric', timeZone: 'UTC' });
  const dateFormat = new Intl.DateTimeFormat('pt-BR', { dateStyle: 'short', timeZone: 'UTC' });
  const instantFormat = new Intl.DateTimeFormat('pt-BR', { dateStyle: 'short', timeStyle: 'short', timeZone: 'America/Sao_Paulo' });

  /** Visible text of a value; money and ratio strings are formatted as exact decimals (Intl accepts decimal strings). */
  const FORMATS = {
    money: (v) => (v === null ? '—' : moneyFormat.format(v)),
    ratio: (v) => (v === null ? '—' : ratioFormat.format(v)),
    count: (v) => (v === null ? '—' : countFormat.format(v)),
    month: (v) => monthFormat.format(new Date(v + '-01T00:00:00Z')),
    year: (v) => String(v),
    text: (v) => (v === null || v === undefined || v === '' ? '—' : String(v)),
  };

  // ---- what each area shows -----------------------------------------------------------------
  const AREAS = {
    vendas: {
      tiles: [
        ['receitaBruta', 'Receita bruta', 'money'],
        ['descontos', 'Descontos', 'money'],
        ['receitaLiquida', 'Receita líquida', 'money'],
        ['pedidos', 'Pedidos', 'count'],
        ['itens', 'Itens vendidos', 'count'],
        ['ticketMedio', 'Ticket médio', 'money'],
        ['margem', 'Margem', 'money'],
        ['margemPercentual', 'Margem %', 'ratio'],
        ['taxaCancelamento', 'Taxa de cancelamento', 'ratio'],
      ],
      panels: [
        {
          id: 'mes',
          title: 'Receita por mês',
          source: 'porMes',
          wide: true,
          chart: {
            kind: 'line',
            x: 'mes',
            xFormat: 'month',
            series: [
              ['receitaBruta', 'Receita bruta'],
              ['receitaLiquida', 'Receita líquida'],
              ['margem', 'Margem'],
            ],
          },
          columns: [
            ['mes', 'Mês', 'month'],
            ['receitaBruta', 'Receita bruta', 'money'],
            ['descontos', 'Descontos', 'money'],
            ['receitaLiquida', 'Receita líquida', 'money'],
            ['margem', 'Margem', 'money'],
            ['pedidos', 'Pedidos', 'count'],
          ],
        },
        {
          id: 'categoria',
          title: 'Receita líquida por categoria',
          source: 'porCategoria',
          chart: { kind: 'bar', x: 'categoria', series: [['receitaLiquida', 'Receita líquida']] },
          columns: [
            ['categoria', 'Categoria', 'text'],
            ['receitaLiquida', 'Receita líquida', 'money'],
            ['itens', 'Itens', 'count'],
          ],
        },
        {
          id: 'estado',
          title: 'Receita líquida por estado',
          source: 'porEstado',
          chart: { kind: 'bar', x: 'estado', series: [['receitaLiquida', 'Receita líquida']] },
          columns: [
            ['estado', 'UF', 'text'],
            ['regiao', 'Região', 'text'],
            ['receitaLiquida', 'Receita líquida', 'money'],
            ['pedidos', 'Pedidos', 'count'],
          ],
        },
        {
          id: 'vendedor',
          title: 'Receita líquida por vendedor',
          source: 'porVendedor',
          columns: [
            ['vendedor', 'Vendedor', 'text'],
            ['receitaLiquida', 'Receita líquida', 'money'],
            ['pedidos', 'Pedidos', 'count'],
          ],
        },
        {
          id: 'campanha',
          title: 'Receita líquida por campanha',
          source: 'porCampanha',
          columns: [
            ['campanha', 'Campanha', 'text'],
            ['receitaLiquida', 'Receita líquida', 'money'],
            ['descontos', 'Descontos', 'money'],
          ],
        },
      ],
    },
    metas: {
      tiles: [
        ['meta', 'Meta no período', 'money'],
        ['realizado', 'Realizado no período', 'money'],
        ['atingimento', 'Atingimento no período', 'ratio'],
        ['vendedoresAcima', 'Vendedores na meta ou acima (no período)', 'count'],
        ['vendedoresAbaixo', 'Vendedores abaixo da meta (no período)', 'count'],
      ],
      panels: [
        {
          id: 'atingimento',
          title: 'Atingimento da meta por vendedor (acumulado no ano)',
          source: 'acumuladoAno',
          wide: true,
          chart: { kind: 'bar', x: 'vendedor', series: [['atingimento', 'Atingimento']], ratio: true, target: 1 },
          columns: [
            ['vendedor', 'Vendedor', 'text'],
            ['ano', 'Ano', 'year'],
            ['meta', 'Meta', 'money'],
            ['realizado', 'Realizado', 'money'],
            ['atingimento', 'Atingimento', 'ratio'],
          ],
        },
        {
          id: 'vendedor-mes',
          title: 'Meta e realizado por vendedor e mês',
          source: 'porVendedorMes',
          wide: true,
          columns: [
            ['vendedor', 'Vendedor', 'text'],
            ['mes', 'Mês', 'month'],
            ['meta', 'Meta', 'money'],
            ['realizado', 'Realizado', 'money'],
            ['atingimento', 'Atingimento', 'ratio'],
          ],
        },
      ],
    },
    descontos: {
      tiles: [
        ['descontoConcedido', 'Desconto concedido', 'money'],
        ['receitaLiquidaComDesconto', 'Receita líquida com desconto', 'money'],
        ['margemComDesconto', 'Margem com desconto', 'money'],
        ['custoCampanhas', 'Custo das campanhas', 'money'],
        ['roi', 'ROI das campanhas', 'ratio'],
        ['participacaoDesconto', 'Participação do desconto na receita bruta', 'ratio'],
      ],
      panels: [
        {
          id: 'roi',
          title: 'ROI por campanha',
          source: 'porCampanha',
          wide: true,
          chart: { kind: 'bar', x: 'campanha', series: [['roi', 'ROI']], ratio: true },
          columns: [
            ['campanha', 'Campanha', 'text'],
            ['desconto', 'Desconto', 'money'],
            ['receitaLiquida', 'Receita líquida', 'money'],
            ['margem', 'Margem', 'money'],
            ['custo', 'Custo', 'money'],
            ['roi', 'ROI', 'ratio'],
          ],
        },
        {
          id: 'faixa',
          title: 'Participação do desconto na receita bruta por faixa de desconto',
          source: 'porFaixa',
          wide: true,
          chart: { kind: 'bar', x: 'faixa', series: [['participacao', 'Participação']], ratio: true },
          columns: [
            ['faixa', 'Faixa de desconto', 'text'],
            ['desconto', 'Desconto', 'money'],
            ['receitaBruta', 'Receita bruta', 'money'],
            ['participacao', 'Participação', 'ratio'],
          ],
        },
      ],
    },
  };

  const COLORS = ['#0b5cad', '#c2410c', '#15803d', '#7e22ce'];

  // ---- small DOM helpers --------------------------------------------------------------------
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const child of children || []) node.append(child);
    return node;
  }
  const $ = (id) => document.getElementById(id);
  /** data-value of a value: the API's own text ("1234.5600", "0.2346", "12"), "" for null. */
  const dataValue = (v) => (v === null || v === undefined ? '' : String(v));

  // ---- the API ------------------------------------------------------------------------------
  async function api(path, query) {
    const qs = query && [...query.keys()].length ? '?' + query.toString() : '';
    const headers = { accept: 'application/json' };
    if (functionKey) headers['x-functions-key'] = functionKey;
    const res = await fetch(base + path + qs, { headers, cache: 'no-store' });
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    return { status: res.status, body };
  }

  /** The filters of the page's own address (so a link keeps them), as sent to the API. */
  function filtersFromAddress() {
    const q = new URLSearchParams();
    for (const name of FILTERS) {
      const v = pageQuery.get(name);
      if (v !== null && v !== '') q.set(name, v);
    }
    return q;
  }

  function filtersFromForm() {
    const q = new URLSearchParams();
    for (const name of FILTERS) {
      const v = $('f-' + name).value.trim();
      if (v !== '') q.set(name, v);
    }
    return q;
  }

  function setControls(query) {
    for (const name of FILTERS) {
      const control = $('f-' + name);
      const v = query.get(name) || '';
      if (control.tagName === 'SELECT' && v !== '' && ![...control.options].some((o) => o.value === v)) {
        // a value of the address that is not an option (an unknown seller...): shown as it is; the API judges it
        control.append(el('option', { value: v, text: v + ' (não encontrado)' }));
      }
      control.value = v;
    }
  }

  /** The page's address with these filters (and the function key it was opened with). */
  function addressFor(query, path) {
    const q = new URLSearchParams(query);
    if (functionKey) q.set('code', functionKey);
    const s = q.toString();
    return (path || location.pathname) + (s ? '?' + s : '');
  }

  function updateNavLinks(query) {
    for (const a of document.querySelectorAll('[data-area-link]')) {
      a.setAttribute('href', addressFor(query, base + '/dashboard/' + a.dataset.areaLink));
    }
  }

  // ---- filter options ------------------------------------------------------------------------
  async function loadOptions() {
    const { status, body } = await api('/kpi/filtros');
    if (status !== 200 || !body) throw new Error('as opções dos filtros não puderam ser carregadas (HTTP ' + status + ')');
    const fill = (name, items) => {
      const select = $('f-' + name);
      for (const item of items) select.append(el('option', { value: String(item.value), text: item.label }));
    };
    fill(
      'categoria',
      body.categorias.map((c) => ({ value: c.id, label: c.nome })),
    );
    fill(
      'estado',
      body.estados.map((e) => ({ value: e, label: e })),
    );
    fill(
      'vendedor',
      body.vendedores.map((v) => ({ value: v.id, label: v.nome })),
    );
    fill(
      'campanha',
      body.campanhas.map((c) => ({ value: c.id, label: c.nome })),
    );
    for (const name of ['from', 'to']) {
      if (body.periodo.from) $('f-' + name).min = body.periodo.from;
      if (body.periodo.to) $('f-' + name).max = body.periodo.to;
    }
    if (body.periodo.from && body.periodo.to) {
      $('periodo').textContent =
        'Pedidos disponíveis de ' +
        dateFormat.format(new Date(body.periodo.from + 'T00:00:00Z')) +
        ' a ' +
        dateFormat.format(new Date(body.periodo.to + 'T00:00:00Z')) +
        '.';
    }
  }

  // ---- rendering -----------------------------------------------------------------------------
  function renderStatus(envelope) {
    const banner = $('certificacao');
    banner.textContent = envelope.certifiedTo
      ? 'Dados certificados até ' + instantFormat.format(new Date(envelope.certifiedTo)) + ' (horário de Brasília)'
      : 'Ainda não há dados certificados: nenhuma execução passou pelos controles de qualidade.';
    banner.dataset.value = dataValue(envelope.certifiedTo);
    const warning = $('aviso');
    const run = envelope.lastRun;
    let text = '';
    if (run && run.status === 'failed') {
      text =
        'Atenção: a última execução do pipeline (' +
        run.runId +
        ') falhou' +
        (run.finishedAt ? ' em ' + instantFormat.format(new Date(run.finishedAt)) : '') +
        '. Os números abaixo são os da última certificação.';
    } else if (envelope.stale) {
      text = 'Atenção: os dados estão desatualizados (a última certificação é mais antiga que o prazo combinado).';
    }
    warning.textContent = text;
    warning.hidden = text === '';
    warning.dataset.stale = String(envelope.stale);
  }

  const FILTER_LABELS = { from: 'De', to: 'Até', categoria: 'Categoria', estado: 'Estado', vendedor: 'Vendedor', campanha: 'Campanha' };

  /** Names the filters the area does not apply (the API answers with the filters it applied). */
  function renderIgnored(query, applied) {
    const ignored = [...query.keys()].filter((name) => !Object.prototype.hasOwnProperty.call(applied || {}, name));
    const note = $('ignorados');
    note.textContent = ignored.length ? 'Neste painel não se aplica: ' + ignored.map((name) => FILTER_LABELS[name] || name).join(', ') + '.' : '';
    note.hidden = ignored.length === 0;
  }

  function renderTiles(spec, tiles) {
    const list = el('dl', { class: 'tiles' });
    for (const [key, label, format] of spec) {
      const value = tiles[key];
      list.append(
        el('div', { class: 'tile' }, [
          el('dt', { id: 'tile-' + key, text: label }),
          el('dd', { 'data-kpi': key, 'data-format': format, 'data-value': dataValue(value), text: FORMATS[format](value) }),
        ]),
      );
    }
    return el('section', { 'aria-labelledby': 'h-indicadores' }, [el('h2', { id: 'h-indicadores', text: 'Indicadores' }), list]);
  }

  function renderTable(panel, rows) {
    const head = el(
      'tr',
      {},
      panel.columns.map(([, label, format]) =>
        el('th', { scope: 'col', class: format === 'text' || format === 'month' || format === 'year' ? null : 'num', text: label }),
      ),
    );
    const body = rows.length
      ? rows.map((row) =>
          el(
            'tr',
            {},
            panel.columns.map(([field, , format]) => {
              const numeric = format === 'money' || format === 'ratio' || format === 'count';
              return el('td', {
                class: numeric ? 'num' : null,
                'data-field': field,
                'data-value': numeric ? dataValue(row[field]) : null,
                text: FORMATS[format](row[field]),
              });
            }),
          ),
        )
      : [el('tr', {}, [el('td', { colspan: String(panel.columns.length), text: 'Sem dados para os filtros escolhidos.' })])];
    const table = el('table', { 'data-source': panel.source, 'data-rows': String(rows.length) }, [
      el('caption', { text: panel.title + (panel.chart ? ' (valores do gráfico)' : '') }),
      el('thead', {}, [head]),
      el('tbody', {}, body),
    ]);
    return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Tabela: ' + panel.title }, [table]);
  }

  /** A chart's category label for a row. */
  function categoryLabel(chart, row) {
    return chart.xFormat ? FORMATS[chart.xFormat](row[chart.x]) : String(row[chart.x]);
  }

  function renderChart(container, panel, rows) {
    const chart = panel.chart;
    const categories = rows.map((row) => categoryLabel(chart, row));
    // many bars or long names: horizontal bars, one line per bar, as tall as they need (set before
    // echarts.init, which takes the container's size at that moment)
    const horizontal = chart.kind === 'bar' && (rows.length > 6 || categories.some((c) => c.length > 14));
    if (horizontal) container.style.height = Math.max(320, 26 * rows.length + 70) + 'px';
    const instance = echarts.init(container, null, { renderer: 'svg', locale: 'EN' });
    const valueFormat = chart.ratio ? (v) => ratioFormat.format(v) : (v) => moneyFormat.format(v);
    const axisFormat = chart.ratio ? (v) => ratioFormat.format(v) : (v) => moneyCompact.format(v);
    const categoryAxis = {
      type: 'category',
      data: horizontal ? categories.slice().reverse() : categories,
      axisLabel: { color: '#1b1f24', interval: 0, hideOverlap: true },
    };
    const valueAxis = {
      type: 'value',
      splitNumber: horizontal ? 4 : 5,
      axisLabel: { color: '#1b1f24', formatter: axisFormat, hideOverlap: true },
      splitLine: { lineStyle: { color: '#e2e7ee' } },
    };
    const series = chart.series.map(([field, name], i) => {
      const data = rows.map((row) => (row[field] === null ? null : Number(row[field])));
      const s = {
        name,
        type: chart.kind,
        data: horizontal ? data.reverse() : data,
        itemStyle: { color: COLORS[i % COLORS.length] },
        lineStyle: chart.kind === 'line' ? { width: 2.5, color: COLORS[i % COLORS.length] } : undefined,
        symbolSize: chart.kind === 'line' ? 6 : undefined,
      };
      if (chart.target !== undefined) {
        s.markLine = {
          symbol: 'none',
          silent: true,
          lineStyle: { color: '#8a1111', type: 'dashed' },
          label: { formatter: 'meta (100%)', color: '#8a1111', position: horizontal ? 'end' : 'insideEndTop' },
          data: [horizontal ? { xAxis: chart.target } : { yAxis: chart.target }],
        };
      }
      return s;
    });
    instance.setOption({
      animation: false,
      aria: { enabled: false },
      textStyle: { fontFamily: 'system-ui, sans-serif', color: '#1b1f24' },
      legend: chart.series.length > 1 ? { top: 0, textStyle: { color: '#1b1f24' } } : undefined,
      tooltip: { trigger: 'axis', valueFormatter: (v) => (v === null || v === undefined ? '—' : valueFormat(v)) },
      grid: { left: 8, right: 48, top: chart.series.length > 1 || chart.target !== undefined ? 36 : 16, bottom: 8, outerBoundsMode: 'same' },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series,
      graphic: rows.length
        ? []
        : [{ type: 'text', left: 'center', top: 'middle', style: { text: 'Sem dados para os filtros escolhidos.', fill: '#4a5360', fontSize: 14 } }],
    });
    return instance;
  }

  let charts = [];

  function renderPanels(spec, data) {
    for (const c of charts) c.dispose();
    charts = [];
    const grid = el('div', { class: 'panels' });
    const toDraw = [];
    for (const panel of spec) {
      const rows = data[panel.source] || [];
      const section = el('section', { class: 'panel' + (panel.wide ? ' wide' : ''), 'aria-labelledby': 'h-' + panel.id }, [
        el('h2', { id: 'h-' + panel.id, text: panel.title }),
      ]);
      if (panel.chart) {
        const container = el('div', {
          class: 'chart',
          id: 'grafico-' + panel.id,
          role: 'img',
          'aria-label':
            (panel.chart.kind === 'line' ? 'Gráfico de linhas: ' : 'Gráfico de barras: ') +
            panel.title +
            (rows.length ? '. Os valores estão na tabela a seguir.' : '. Sem dados para os filtros escolhidos.'),
        });
        section.append(container);
        toDraw.push([container, panel, rows]);
      }
      section.append(renderTable(panel, rows));
      grid.append(section);
    }
    return { grid, draw: () => (charts = toDraw.map(([c, p, r]) => renderChart(c, p, r))) };
  }

  function showError(message) {
    const box = $('erro');
    box.textContent = message;
    box.hidden = false;
    $('dados').replaceChildren();
    for (const c of charts) c.dispose();
    charts = [];
  }

  // ---- one load ------------------------------------------------------------------------------
  let loadNumber = 0;

  async function load(query) {
    const mine = ++loadNumber;
    document.body.dataset.ready = 'false';
    $('dados').setAttribute('aria-busy', 'true');
    updateNavLinks(query);
    try {
      const { status, body } = await api('/kpi/' + area, query);
      if (mine !== loadNumber) return;
      if (status === 200 && body) {
        $('erro').hidden = true;
        $('erro').textContent = '';
        renderStatus(body);
        renderIgnored(query, body.filters);
        const spec = AREAS[area];
        const panels = renderPanels(spec.panels, body.data);
        $('dados').replaceChildren(renderTiles(spec.tiles, body.data.tiles), panels.grid);
        panels.draw();
        document.body.dataset.state = 'ok';
      } else {
        const reason = body && body.error ? body.error : 'HTTP ' + status;
        showError(
          status === 400
            ? 'Filtro inválido: ' + reason + '. Corrija os filtros e aplique de novo.'
            : 'Não foi possível carregar os indicadores (' + reason + ').',
        );
        document.body.dataset.state = 'error';
      }
    } catch (e) {
      if (mine !== loadNumber) return;
      showError('Não foi possível carregar os indicadores: ' + (e && e.message ? e.message : String(e)));
      document.body.dataset.state = 'error';
    }
    $('dados').setAttribute('aria-busy', 'false');
    document.body.dataset.loads = String(mine);
    document.body.dataset.ready = 'true';
  }

  async function start() {
    const initial = filtersFromAddress();
    try {
      await loadOptions();
    } catch (e) {
      showError('Não foi possível carregar os filtros: ' + (e && e.message ? e.message : String(e)));
      document.body.dataset.state = 'error';
      document.body.dataset.ready = 'true';
      return;
    }
    setControls(initial);
    $('filtros').addEventListener('submit', (event) => {
      event.preventDefault();
      const query = filtersFromForm();
      history.replaceState(null, '', addressFor(query));
      void load(query);
    });
    $('limpar').addEventListener('click', () => {
      const query = new URLSearchParams();
      setControls(query);
      history.replaceState(null, '', addressFor(query));
      void load(query);
    });
    window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
    await load(initial);
  }

  void start();
})();
