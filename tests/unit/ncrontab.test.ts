import { nextOccurrence, parseNcrontab } from '../../dev/ncrontab.js';

describe('NCRONTAB (local host timer)', () => {
  it('fires the default daily schedule at 03:00 UTC', () => {
    const s = parseNcrontab('0 0 3 * * *');
    expect(nextOccurrence(s, new Date('2026-11-29T02:59:59.500Z')).toISOString()).toBe('2026-11-29T03:00:00.000Z');
    expect(nextOccurrence(s, new Date('2026-11-29T03:00:00.000Z')).toISOString()).toBe('2026-11-30T03:00:00.000Z');
  });

  it('handles steps, ranges, lists and day of week', () => {
    expect(nextOccurrence(parseNcrontab('*/15 * * * * *'), new Date('2026-01-01T00:00:14Z')).toISOString()).toBe('2026-01-01T00:00:15.000Z');
    // weekdays at 06:30 and 18:30; 2026-11-28 is a Saturday
    expect(nextOccurrence(parseNcrontab('0 30 6,18 * * 1-5'), new Date('2026-11-28T07:00:00Z')).toISOString()).toBe('2026-11-30T06:30:00.000Z');
  });

  it('rejects expressions the host would reject', () => {
    expect(() => parseNcrontab('0 3 * * *')).toThrow(/6 fields/);
    expect(() => parseNcrontab('0 0 25 * * *')).toThrow(/hour field '25' is out of range/);
    expect(() => parseNcrontab('0 0 x * * *')).toThrow(/not understood/);
  });
});
