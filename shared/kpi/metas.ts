// Metas (targets) KPIs from dw.vw_metas: target, realised net revenue and attainment per seller
// and month of the period, per seller for the year to date, and how many sellers are above or
// below their target over the period. The period is whole months: from the month of `from` to the
// month of `to` (a target is monthly). Definitions: docs/kpis.md#metas.
import { sql, type SelectQueryBuilder } from 'kysely';
import type { KpiFilters, MetasData } from './contract.js';
import { asText, money, ratio, units } from './decimal.js';
import { monthOfDate } from './filters.js';
import type { KpiDb } from './views.js';

const sum = (column: string) => asText(sql`sum(${sql.ref(column)})`);

/** The first day of a month 'YYYY-MM'. */
const firstDay = (month: string): string => `${month}-01`;

/** The first day of the month after 'YYYY-MM'. */
function firstDayAfter(month: string): string {
  const d = new Date(`${month}-01T00:00:00.000Z`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * A target's month lies in the months from..to (inclusive 'YYYY-MM'): compared on the target's
 * date (dw.vw_metas.mes), which a scan compares as it reads it and whose statistics the planner
 * knows, rather than on its text month (ano_mes, computed per row). Same targets.
 */
const inMonths = <Q extends SelectQueryBuilder<any, any, any>>(q: Q, from: string | undefined, to: string | undefined): Q => {
  let r: SelectQueryBuilder<any, any, any> = q;
  if (from !== undefined) r = r.where('m.mes', '>=', firstDay(from));
  if (to !== undefined) r = r.where('m.mes', '<', firstDayAfter(to));
  return r as Q;
};

export function metasQueries(db: KpiDb, f: KpiFilters, ytd?: { from: string; to: string }) {
  const base = () => {
    let q = inMonths(
      db.selectFrom('dw.vw_metas as m'),
      f.from === undefined ? undefined : monthOfDate(f.from),
      f.to === undefined ? undefined : monthOfDate(f.to),
    );
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
          .$call((q) => inMonths(q, ytd.from, ytd.to))
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
