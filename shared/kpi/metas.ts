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

export async function metasData(db: KpiDb, f: KpiFilters): Promise<MetasData> {
  const q = metasQueries(db, f);
  const [tiles, rows, sellers, last] = await Promise.all([
    q.tiles.executeTakeFirst(),
    q.porVendedorMes.execute(),
    q.perSeller.execute(),
    f.to === undefined ? q.lastMonth.executeTakeFirst() : Promise.resolve({ ano_mes: monthOfDate(f.to) }),
  ]);
  const meta = units(tiles?.meta);
  const realizado = units(tiles?.realizado);
  let acima = 0;
  let abaixo = 0;
  for (const s of sellers) {
    const m = units(s.meta);
    if (m <= 0n) continue;
    if (units(s.realizado) >= m) acima++;
    else abaixo++;
  }
  const lastMonth = last?.ano_mes ?? null;
  let acumuladoAno: MetasData['acumuladoAno'] = [];
  if (lastMonth) {
    const ano = Number(lastMonth.slice(0, 4));
    const ytd = metasQueries(db, f, { from: `${ano}-01`, to: lastMonth }).acumuladoAno!;
    acumuladoAno = (await ytd.execute()).map((r) => {
      const m = units(r.meta);
      const re = units(r.realizado);
      return { vendedorId: Number(r.vendedor_id), vendedor: r.vendedor, ano, meta: money(m), realizado: money(re), atingimento: ratio(re, m) };
    });
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
