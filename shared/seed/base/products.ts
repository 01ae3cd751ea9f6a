// produtos: half of the catalogue at the opening, the rest added evenly over the window; a few
// big sellers and a long tail.
import type { BulkRow } from '../../db/database.js';
import { formatMoney, fromCents } from '../../model/money.js';
import { MARCAS } from '../brazil.js';
import { WeightedTable, type Rng } from '../random.js';
import { pad } from '../text.js';
import { DAY, iso, spread } from '../time.js';
import { instants, orderDays, sortedUniform, type SeedWindow } from './calendar.js';
import type { ChildCategory } from './categories.js';

/** Per product (index = id - 1), what the orders and targets need; filled in as `rows` is consumed. */
export interface ProductFacts {
  readonly created: Float64Array;
  /** list price, cents */
  readonly price: Int32Array;
  /** unit cost, cents */
  readonly cost: Int32Array;
  /** grams */
  readonly weight: Int32Array;
  /** seller index (id - 1) */
  readonly seller: Int32Array;
  /** products per seller (index = seller id - 1) */
  readonly perSeller: Float64Array;
}

export function generateProducts(
  rng: Rng,
  count: number,
  sellers: number,
  categories: readonly ChildCategory[],
  window: SeedWindow,
): { rows: Iterable<BulkRow>; facts: ProductFacts } {
  const facts: ProductFacts = {
    created: new Float64Array(count),
    price: new Int32Array(count),
    cost: new Int32Array(count),
    weight: new Int32Array(count),
    seller: new Int32Array(count),
    perSeller: new Float64Array(sellers),
  };
  const sellerRank = new WeightedTable(
    Array.from({ length: sellers }, (_, i) => i),
    rng.shuffle(Array.from({ length: sellers }, (_, i) => 1 / (i + 3) ** 0.9)),
  );
  const cats = new WeightedTable(
    categories,
    categories.map((s) => s.sub.popularidade),
  );
  const early = Math.round(count * 0.5);
  const { days } = orderDays(window.orderStart, window.asOf);
  const times = [
    ...sortedUniform(rng, early, window.start + 5 * DAY, window.orderStart),
    ...instants(
      rng,
      days,
      spread(
        count - early,
        days.map(() => 1),
      ),
      window.asOf,
    ),
  ];
  function* rows(): Generator<BulkRow> {
    for (let i = 0; i < count; i++) {
      const { id: categoria, sub } = cats.pick(rng);
      // Log-uniform list price in whole reais, shown as x,90.
      const reais = Math.floor(Math.exp(rng.float(Math.log(sub.preco[0]), Math.log(sub.preco[1]))));
      const price = reais * 100 - 10;
      const cost = Math.floor((price * rng.int(40, 75)) / 100);
      const weight = rng.int(sub.peso[0], sub.peso[1]);
      const seller = sellerRank.pick(rng);
      facts.created[i] = times[i]!;
      facts.price[i] = price;
      facts.cost[i] = cost;
      facts.weight[i] = weight;
      facts.seller[i] = seller;
      facts.perSeller[seller]! += 1;
      const nome = `${sub.produto} ${rng.pick(MARCAS)} ${String.fromCharCode(65 + rng.int(0, 25))}${rng.int(10, 999)}`;
      const t = iso(times[i]!);
      yield [i + 1, `PROD-${pad(i + 1, 6)}`, nome, categoria, formatMoney(fromCents(price)), formatMoney(fromCents(cost)), weight, true, t, t];
    }
  }
  return { rows: rows(), facts };
}
