// Metas (targets) KPIs from dw.vw_metas: target, realised net revenue and attainment per seller
// and month of the period, per seller for the year to date, and how many sellers are above or
// below their target over the period. The period is whole months: from the month of `from` to the
// month of `to` (a target is monthly). Definitions: docs/kpis.md#metas.
import { sql } from 'kysely';
import type { KpiFilters, MetasData } from './contract.js';
import { asText, money, ratio, units } from './decimal.js';
import { monthOfDate } from './filters.js';
import type { KpiDb } from './views.js';

const sum = (column: string) => asText(sql`sum(${sql.ref(column)})`);

export function metasQueries(db: KpiDb, f: KpiFilters, ytd?: { from: string; to: string }) {
  const base = () => {
    let q = db.selectFrom('dw.vw_metas as m');
    if (f.from !== undefined) q = q.where('m.ano_mes', '>=', monthOfDate(f.from));
    if (f.to !== undefined) q = q.where('m.ano_mes', '<=', monthOfDate(f.to));
    if (f.vendedor !== undefined) q = q.where('m.vendedor_id', '=', f.vendedor);
    return q;
  };
  const perSeller = base()
    .select(['m.vendedor_id', 'm.vendedor', sum('m.valor_meta').as('meta'), sum('m.realizado').as('realizado')])
    .groupBy(['m.vendedor_id', 'm.vendedor']);
  return {
    tiles: base().select([sum('m.valor_meta').as('meta'), sum('m.realizado').as('realizado')]),
    porVendedorMes: base()
      .select(['m.vendedor_id', 'm.vendedor', 'm.ano_mes', asText(sql.ref('m.valor_meta')).as('meta'), asText(sql.ref('m.realizado')).as('realizado')])
      .orderBy('m.vendedor_id')
      .orderBy('m.ano_mes'),
    perSeller,
    /** the period's last month with a target (when `to` is not given, the year to date ends there) */
    lastMonth: base().select((eb) => eb.fn.max('m.ano_mes').as('ano_mes')),
    acumuladoAno: ytd
      ? db
          .selectFrom('dw.vw_metas as m')
          .where('m.ano_mes', '>=', ytd.from)
          .where('m.ano_mes', '<=', ytd.to)
          .$call((q) => (f.vendedor !== undefined ? q.where('m.vendedor_id', '=', f.vendedor) : q))
          .select(['m.vendedor_id', 'm.vendedor', sum('m.valor_meta').as('meta'), sum('m.realizado').as('realizado')])
          .groupBy(['m.vendedor_id', 'm.vendedor'])
          .orderBy('m.vendedor_id')
      : undefined,
  };
}

/** Sums of target and realised per seller over `rows` (bigint units, exact), in seller order. */
function perSellerOf(rows: readonly { vendedor_id: unknown; vendedor: string; meta: unknown; realizado: unknown }[]) {
  const sellers = new Map<number, { vendedor: string; meta: bigint; realizado: bigint }>();
  for (const r of rows) {
    const id = Number(r.vendedor_id);
    const s = sellers.get(id) ?? { vendedor: r.vendedor, meta: 0n, realizado: 0n };
    s.meta += units(r.meta);
    s.realizado += units(r.realizado);
    sellers.set(id, s);
  }
  return [...sellers.entries()].sort(([a], [b]) => a - b);
}

/**
 * One read of the view per request: the period's rows per seller and month (one pass over the
 * view's realised sales) give the tiles, the sellers above or below target, the last month and,
 * when the year to date lies inside the period, the year to date; the sums are the same exact
 * decimal sums SQL would make (bigint units of 1/10,000). Only a year to date that starts before
 * the period reads the view a second time.
 */
export async function metasData(db: KpiDb, f: KpiFilters): Promise<MetasData> {
  const q = metasQueries(db, f);
  const rows = await q.porVendedorMes.execute();
  let meta = 0n;
  let realizado = 0n;
  let lastMonth: string | null = null;
  for (const r of rows) {
    meta += units(r.meta);
    realizado += units(r.realizado);
    if (r.ano_mes !== null && r.ano_mes !== undefined && (lastMonth === null || r.ano_mes > lastMonth)) lastMonth = r.ano_mes;
  }
  if (f.to !== undefined) lastMonth = monthOfDate(f.to);
  let acima = 0;
  let abaixo = 0;
  for (const [, s] of perSellerOf(rows)) {
    if (s.meta <= 0n) continue;
    if (s.realizado >= s.meta) acima++;
    else abaixo++;
  }
  let acumuladoAno: MetasData['acumuladoAno'] = [];
  if (lastMonth) {
    const ano = Number(lastMonth.slice(0, 4));
    const ytd = { from: `${ano}-01`, to: lastMonth };
    const inPeriod = f.from === undefined || monthOfDate(f.from) <= ytd.from;
    const ytdRows = inPeriod ? rows.filter((r) => r.ano_mes >= ytd.from && r.ano_mes <= ytd.to) : await metasQueries(db, f, ytd).acumuladoAno!.execute();
    acumuladoAno = perSellerOf(ytdRows).map(([vendedorId, s]) => ({
      vendedorId,
      vendedor: s.vendedor,
      ano,
      meta: money(s.meta),
      realizado: money(s.realizado),
      atingimento: ratio(s.realizado, s.meta),
    }));
  }
  return {
    tiles: { meta: money(meta), realizado: money(realizado), atingimento: ratio(realizado, meta), vendedoresAcima: acima, vendedoresAbaixo: abaixo },
    porVendedorMes: rows.map((r) => {
      const m = units(r.meta);
      const re = units(r.realizado);
      return { vendedorId: Number(r.vendedor_id), vendedor: r.vendedor, mes: r.ano_mes, meta: money(m), realizado: money(re), atingimento: ratio(re, m) };
    }),
    acumuladoAno,
  };
}
