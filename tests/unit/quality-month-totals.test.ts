// The exact arithmetic the reconciliation compares with (month-totals.ts) and how the control
// totals read money from a quarantined row (quarantined-rows.ts moneyOf).
import { accumulate, differingMonths, overall, type MonthTotals } from '../../shared/quality/month-totals.js';
import { moneyOf } from '../../shared/quality/quarantined-rows.js';

describe('month totals', () => {
  it('adds decimal text of any scale exactly: 10.5000 = 10.5, no float drift over many rows', () => {
    const a = accumulate(new Map(), [{ month: '2024-05', n: '2', sums: ['10.5000', '0.1'] }]);
    const b = accumulate(new Map(), [{ month: '2024-05', n: 2, sums: ['10.5', '0.1000'] }]);
    expect(differingMonths(a, b, ['gross', 'net'], 'items')).toEqual([]);
    const many = accumulate(
      new Map(),
      Array.from({ length: 1000 }, () => ({ month: '2024-05', n: 1n, sums: ['0.1', '0.0001'] })),
    );
    expect(overall(many, 2)).toEqual({ n: 1000n, sums: [1_000_000n, 1000n] });
  });

  it('names each differing month once, in order, with only the figures that differ', () => {
    const source = accumulate(new Map(), [
      { month: '2024-06', n: 3, sums: ['30.00', '27.00'] },
      { month: '2024-05', n: 2, sums: ['20.00', '18.00'] },
    ]);
    const warehouse = accumulate(new Map(), [
      { month: '2024-05', n: 2, sums: ['20.00', '18.01'] },
      { month: '2024-06', n: 3, sums: ['30.00', '27.00'] },
      { month: null, n: 1, sums: ['1', '1'] },
    ]);
    expect(differingMonths(source, warehouse, ['gross', 'net'], 'items')).toEqual([
      'month=2024-05, net source=18.0000 warehouse=18.0100',
      'month=none, items source=0 warehouse=1, gross source=0.0000 warehouse=1.0000, net source=0.0000 warehouse=1.0000',
    ]);
  });

  it('subtracts excluded rows, and a month they empty disappears', () => {
    const totals: MonthTotals = accumulate(new Map(), [
      { month: '2024-05', n: 2, sums: ['20.00'] },
      { month: '2024-06', n: 1, sums: ['5.00'] },
    ]);
    accumulate(
      totals,
      [
        { month: '2024-06', n: 1, sums: ['5'] },
        { month: '2024-05', n: 1, sums: ['7.5'] },
      ],
      -1n,
    );
    expect([...totals]).toEqual([['2024-05', { n: 1n, sums: [125_000n] }]]);
  });

  it('treats a sum over no rows (null) as zero', () => {
    expect(accumulate(new Map(), [{ month: '2024-05', n: 1, sums: [null] }]).get('2024-05')).toEqual({ n: 1n, sums: [0n] });
  });
});

describe('money of a quarantined row', () => {
  it('reads exact decimals and nulls, and refuses what it cannot sum exactly', () => {
    const row = { a: '-5.0000', b: null, c: '1.23456', d: 'abc', e: 12.5, f: { x: 1 } };
    expect(moneyOf(row, 'a')).toBe(-50_000n);
    expect(moneyOf(row, 'b')).toBe(0n);
    expect(moneyOf(row, 'e')).toBe(125_000n);
    for (const column of ['c', 'd', 'f', 'absent']) expect(moneyOf(row, column)).toBeUndefined();
    expect(moneyOf(null, 'a')).toBeUndefined();
  });
});
