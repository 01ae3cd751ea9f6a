import { formatMoney, fromCents, parseMoney, roundToCents } from '../../shared/model/money.js';

describe('money', () => {
  it('parses and formats exactly, without binary floats', () => {
    expect(formatMoney(parseMoney('0.1') + parseMoney('0.2'))).toBe('0.3000');
    expect(formatMoney(parseMoney('2297200.8603'))).toBe('2297200.8603');
    expect(formatMoney(parseMoney('-12.5'), 2)).toBe('-12.50');
    expect(formatMoney(fromCents(1999))).toBe('19.9900');
  });

  it('rounds half away from zero to cents', () => {
    expect(formatMoney(roundToCents(parseMoney('1.005')), 2)).toBe('1.01');
    expect(formatMoney(roundToCents(parseMoney('-1.005')), 2)).toBe('-1.01');
    expect(formatMoney(roundToCents(parseMoney('1.0049')), 2)).toBe('1.00');
  });

  it('rejects what is not a plain decimal', () => {
    expect(() => parseMoney('1e3')).toThrow(/not a decimal/);
    expect(() => parseMoney('12,50')).toThrow(/not a decimal/);
    expect(() => parseMoney('0.00001')).toThrow(/more than 4 decimals/);
  });
});
