// The exact arithmetic of the KPI layer (shared/kpi/decimal.ts): ratios are exact fractions
// rounded half up (away from zero) to 4 places, null on a zero denominator; the average ticket is
// money rounded the same way; money read from SQL text keeps every unit.
import { average, count, ratio, units } from '../../shared/kpi/decimal.js';

describe('KPI decimals', () => {
  it('round ratios half up to 4 places, exactly, and give null for a zero denominator', () => {
    expect(ratio(1n, 3n)).toBe('0.3333');
    expect(ratio(2n, 3n)).toBe('0.6667');
    expect(ratio(23455n, 100000n)).toBe('0.2346'); // exactly half: up
    expect(ratio(23454n, 100000n)).toBe('0.2345');
    expect(ratio(-23455n, 100000n)).toBe('-0.2346'); // away from zero, as SQL round()
    expect(ratio(5n, 5n)).toBe('1.0000');
    expect(ratio(0n, 7n)).toBe('0.0000');
    expect(ratio(1n, 0n)).toBeNull();
    // a float would say 0.1 + 0.2 != 0.3: units never go through one
    expect(ratio(units('0.1') + units('0.2'), units('0.3'))).toBe('1.0000');
  });

  it('average money per order to 4 places, half up; null without orders', () => {
    expect(average(units('100.0000'), 3)).toBe('33.3333');
    expect(average(units('0.0005'), 2)).toBe('0.0003'); // 0.00025 -> up
    expect(average(units('10'), 0)).toBeNull();
  });

  it('read money text and counts from any driver exactly; an empty sum is zero', () => {
    expect(units('12345678901234.5678')).toBe(123456789012345678n);
    expect(units(null)).toBe(0n);
    expect(units(undefined)).toBe(0n);
    expect(count('42')).toBe(42);
    expect(count(null)).toBe(0);
  });
});
