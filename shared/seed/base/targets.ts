// metas: a monthly target per seller for the 24 months up to as-of, set a few days before the
// month starts, sized from the seller's share of the catalogue and the month's order volume.
import type { BulkRow } from '../../db/database.js';
import { formatMoney, fromCents } from '../../model/money.js';
import type { Rng } from '../random.js';
import { addMonths, DAY, HOUR, iso, isoDate, spread, startOfMonth } from '../time.js';
import { MONTHS, orderDays, type SeedWindow } from './calendar.js';
import type { ProductFacts } from './products.js';

export interface TargetInputs {
  readonly orders: number;
  readonly sellerCreated: Float64Array;
  readonly products: Pick<ProductFacts, 'price' | 'perSeller'>;
}

export function* targetRows(rng: Rng, window: SeedWindow, inputs: TargetInputs): Generator<BulkRow> {
  const sellers = inputs.sellerCreated.length;
  const productCount = inputs.products.price.length;
  const lastMonth = startOfMonth(window.asOf - 1);
  const months = Array.from({ length: MONTHS }, (_, k) => addMonths(lastMonth, k - (MONTHS - 1)));
  const { days, weights } = orderDays(window.orderStart, window.asOf);
  const perDay = [...spread(inputs.orders, weights)];
  const ordersInMonth = months.map((m) => days.reduce((s, d, i) => (startOfMonth(d) === m ? s + perDay[i]! : s), 0));
  let priceSum = 0;
  for (const p of inputs.products.price) priceSum += p;
  const avgItemCents = priceSum / productCount;
  let id = 0;
  for (let s = 0; s < sellers; s++) {
    const share = (0.8 * inputs.products.perSeller[s]!) / productCount + 0.2 / sellers;
    for (let k = 0; k < MONTHS; k++) {
      const m = months[k]!;
      // Targets are ambitions, not forecasts: 5-30% above the expected volume.
      const monthOrders = Math.max(ordersInMonth[k]!, inputs.orders / MONTHS / 2);
      const items = monthOrders * 1.2 * share * rng.float(1.05, 1.3);
      const valor = Math.max(500, Math.round((items * avgItemCents) / 10000) * 100);
      const created = Math.max(inputs.sellerCreated[s]! + HOUR, m - 5 * DAY + rng.int(0, 2 * DAY));
      yield [++id, s + 1, isoDate(m), formatMoney(fromCents(valor * 100)), Math.max(1, Math.round(items)), iso(created), iso(created)];
    }
  }
}
