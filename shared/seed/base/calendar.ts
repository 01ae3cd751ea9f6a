// When things happen in the base seed: the 24-month window, the daily order volume (growth,
// weekdays, Brazilian retail seasons) and the hour-of-day shape of orders and sign-ups.
import type { Rng } from '../random.js';
import { WeightedTable } from '../random.js';
import { addMonths, DAY, HOUR, startOfDay } from '../time.js';

export const MONTHS = 24;

export interface SeedWindow {
  /** the shop opens: first sellers, products and customers */
  readonly start: number;
  /** the first order may be placed (ten days after start) */
  readonly orderStart: number;
  /** every base timestamp is strictly before as-of */
  readonly asOf: number;
}

export function seedWindow(asOf: number): SeedWindow {
  const start = addMonths(asOf, -MONTHS);
  return { start, orderStart: start + 10 * DAY, asOf };
}

/** Orders per hour of the day (UTC), low at night in Brazil (UTC-3). */
const HOUR_WEIGHTS = [5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 8, 8, 8, 8, 7, 7, 8, 8, 7];
const HOURS = HOUR_WEIGHTS.map((_, i) => i);

/** Relative order volume of a UTC day: growth over the window, weekdays, Brazilian retail seasons. */
function dayWeight(day: number, index: number, days: number): number {
  const d = new Date(day);
  const month = d.getUTCMonth() + 1;
  const dom = d.getUTCDate();
  const weekday = d.getUTCDay();
  const trend = 1 + 0.8 * (days > 1 ? index / (days - 1) : 1);
  const week = weekday === 0 ? 0.8 : weekday === 6 ? 0.85 : weekday === 1 ? 1.1 : 1;
  let season = 1;
  if (month === 11) season = dom >= 20 && dom <= 30 ? 2.2 : 1.15;
  else if (month === 12) season = dom <= 22 ? 1.35 : 0.8;
  else if (month === 1) season = 0.85;
  else if (month === 5 && dom <= 12) season = 1.2;
  return trend * week * season;
}

/** The days orders are spread over and their weights; the last day may be cut by as-of. */
export function orderDays(from: number, asOf: number): { days: number[]; weights: number[] } {
  const days: number[] = [];
  for (let d = startOfDay(from); d < asOf; d += DAY) days.push(d);
  const weights = days.map((d, i) => dayWeight(d, i, days.length) * (Math.min(DAY, asOf - d) / DAY));
  return { days, weights };
}

/** Sorted random instants: `count` per day from `counts`, with the hour-of-day shape, all < end. */
export function* instants(rng: Rng, days: readonly number[], counts: Iterable<number>, end: number): Generator<number> {
  let i = 0;
  const hours = new WeightedTable(HOURS, HOUR_WEIGHTS);
  for (const count of counts) {
    const day = days[i++]!;
    const span = Math.min(DAY, end - day);
    const times: number[] = [];
    for (let k = 0; k < count; k++) {
      const t = hours.pick(rng) * HOUR + rng.int(0, HOUR - 1);
      times.push(day + (t < span ? t : rng.int(0, span - 1)));
    }
    times.sort((a, b) => a - b);
    yield* times;
  }
}

/** Uniform sorted instants in [from, to). */
export function sortedUniform(rng: Rng, count: number, from: number, to: number): number[] {
  const out = Array.from({ length: count }, () => from + Math.floor(rng.next() * (to - from)));
  return out.sort((a, b) => a - b);
}
