// Exact decimal arithmetic for money: amounts are carried as bigint counts of 1/10,000 (the
// scale of the decimal(19,4) columns) and formatted back to strings. Never a binary float.
export const SCALE = 4;
const FACTOR = 10n ** BigInt(SCALE);

/** Parses "1234.5", "-0.0042", "12" into units of 1/10,000; throws on anything else or on more than 4 decimals. */
export function parseMoney(text: string): bigint {
  const m = /^\s*(-)?(\d+)(?:\.(\d+))?\s*$/.exec(text);
  if (!m) throw new Error(`not a decimal number: '${text}'`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > SCALE) throw new Error(`more than ${SCALE} decimals: '${text}'`);
  const units = BigInt(m[2]!) * FACTOR + BigInt(frac.padEnd(SCALE, '0') || '0');
  return m[1] ? -units : units;
}

/** Formats units of 1/10,000 as a decimal string with `decimals` places (default 4). */
export function formatMoney(units: bigint, decimals = SCALE): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const whole = abs / FACTOR;
  const frac = (abs % FACTOR).toString().padStart(SCALE, '0').slice(0, decimals);
  return `${neg ? '-' : ''}${whole}${decimals > 0 ? '.' + frac : ''}`;
}

/** Units from whole cents (seed data is in BRL cents). */
export const fromCents = (cents: number): bigint => BigInt(Math.round(cents)) * (FACTOR / 100n);

/** Rounds units to whole cents, half away from zero. */
export function roundToCents(units: bigint): bigint {
  const step = FACTOR / 100n;
  const half = step / 2n;
  const r = units >= 0n ? (units + half) / step : -((-units + half) / step);
  return r * step;
}
