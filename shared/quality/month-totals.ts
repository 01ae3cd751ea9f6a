// Per-month control figures (a row count and exact money sums) as the reconciliation compares
// them: added up from aggregate rows of either database, compared in Node to the unit (1/10,000).
// Sums arrive as decimal text of any scale ('10.5', '10.5000'): parsed into integer units, never
// floats, so '10.5000' = '10.5'.
import { formatMoney, parseMoney } from '../model/money.js';

/** One aggregate row: the month ('YYYY-MM'), the row count, the sums (null: no rows, or all null). */
export interface AggregateRow {
  month: string | null;
  n: number | string | bigint;
  sums: readonly (string | number | null)[];
}

export interface Figures {
  n: bigint;
  sums: bigint[];
}

/** month -> figures; a month with no rows is absent. */
export type MonthTotals = Map<string, Figures>;

/** A month that could not be placed (an order without date in the warehouse). */
export const NO_MONTH = 'none';

const units = (v: string | number | null): bigint => (v === null ? 0n : parseMoney(String(v)));

/** Adds (sign 1) or subtracts (sign -1) aggregate rows into `into`; empty months are dropped. */
export function accumulate(into: MonthTotals, rows: readonly AggregateRow[], sign: 1n | -1n = 1n): MonthTotals {
  for (const row of rows) {
    const month = row.month ?? NO_MONTH;
    const f = into.get(month) ?? { n: 0n, sums: row.sums.map(() => 0n) };
    f.n += sign * BigInt(row.n);
    row.sums.forEach((s, i) => (f.sums[i] = (f.sums[i] ?? 0n) + sign * units(s)));
    if (f.n === 0n && f.sums.every((s) => s === 0n)) into.delete(month);
    else into.set(month, f);
  }
  return into;
}

/** Every month where source and warehouse differ, in month order, with a readable line each. */
export function differingMonths(source: MonthTotals, warehouse: MonthTotals, measures: readonly string[], countLabel: string): string[] {
  const zero: Figures = { n: 0n, sums: measures.map(() => 0n) };
  const months = [...new Set([...source.keys(), ...warehouse.keys()])].sort();
  const lines: string[] = [];
  for (const month of months) {
    const s = source.get(month) ?? zero;
    const w = warehouse.get(month) ?? zero;
    const parts: string[] = [];
    if (s.n !== w.n) parts.push(`${countLabel} source=${s.n} warehouse=${w.n}`);
    measures.forEach((m, i) => {
      const [a, b] = [s.sums[i] ?? 0n, w.sums[i] ?? 0n];
      if (a !== b) parts.push(`${m} source=${formatMoney(a)} warehouse=${formatMoney(b)}`);
    });
    if (parts.length > 0) lines.push(`month=${month}, ${parts.join(', ')}`);
  }
  return lines;
}

/** The whole-period figures, for the observed text. */
export function overall(totals: MonthTotals, width: number): Figures {
  const all: Figures = { n: 0n, sums: Array.from({ length: width }, () => 0n) };
  for (const f of totals.values()) {
    all.n += f.n;
    f.sums.forEach((s, i) => (all.sums[i]! += s));
  }
  return all;
}
