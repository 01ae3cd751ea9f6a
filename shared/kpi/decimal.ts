// Exact arithmetic for KPI values: money as bigint units of 1/10,000 (shared/model/money.ts), ratios
// as exact fractions rounded half away from zero ("half up") to 4 places. Never a binary float.
import { sql, type Expression, type RawBuilder } from 'kysely';
import { formatMoney, parseMoney } from '../model/money.js';
import type { Money, Ratio } from './contract.js';

/**
 * A decimal SQL expression read as text: exact on every engine (SQL Server's driver would return
 * a decimal as a JavaScript number). A sum of decimal(19,4) keeps 4 places on both engines.
 */
export const asText = (e: Expression<unknown>): RawBuilder<string | null> => sql<string | null>`cast(${e} as varchar(40))`;

/** A money value read from SQL (text; null for an empty sum) as units. */
export function units(value: unknown): bigint {
  if (value === null || value === undefined) return 0n;
  return parseMoney(String(value));
}

export const money = (u: bigint): Money => formatMoney(u);

/** An integer count read from SQL (bigint arrives as text or number depending on the driver). */
export const count = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

const RATIO_SCALE = 10_000n;

/** n / d rounded half away from zero to `scale` units: round(n * scale / d). */
function divRound(n: bigint, d: bigint): bigint {
  const neg = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (an * 2n + ad) / (2n * ad);
  return neg ? -q : q;
}

/** num / den as a decimal string rounded half up to 4 places ("0.2346"); null when den is zero. */
export function ratio(num: bigint, den: bigint): Ratio {
  if (den === 0n) return null;
  return formatMoney(divRound(num * RATIO_SCALE, den));
}

/** Money divided by a count, rounded half up to the money scale (4 places); null when the count is zero. */
export function average(total: bigint, n: number): Money | null {
  if (n === 0) return null;
  return formatMoney(divRound(total, BigInt(n)));
}
