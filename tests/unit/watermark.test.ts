// The extract window and the watermark rules (DESIGN §4.1, §4.2) without a database: which rows a
// run reads, and where it leaves the watermark.
import {
  cappedExtractWindow,
  extractWindow,
  heldBackTooLong,
  lateRowsAtLeast,
  laterWatermark,
  watermarkAfterLoad,
  windowOf,
  windowText,
} from '../../shared/pipeline/extract-window.js';

const at = (iso: string) => new Date(iso);
const settings = { overlapMinutes: 10, safetyLagSeconds: 30 };

describe('extractWindow', () => {
  it('reads from the watermark minus the overlap up to the source clock minus the safety lag', () => {
    const w = extractWindow({ ...settings, watermark: at('2026-10-01T03:00:00Z'), sourceClock: at('2026-10-02T03:00:00Z') });
    expect(w).toEqual({ from: at('2026-10-01T02:50:00Z'), to: at('2026-10-02T02:59:30Z') });
  });

  it('has no lower bound on the first run', () => {
    const w = extractWindow({ ...settings, watermark: null, sourceClock: at('2026-10-02T03:00:00Z') });
    expect(w).toEqual({ from: null, to: at('2026-10-02T02:59:30Z') });
  });

  it('re-reads only the overlap when nothing new can be read (watermark == source clock - lag)', () => {
    const w = extractWindow({ ...settings, watermark: at('2026-10-02T02:59:30Z'), sourceClock: at('2026-10-02T03:00:00Z') });
    expect(w).toEqual({ from: at('2026-10-02T02:49:30Z'), to: at('2026-10-02T02:59:30Z') });
  });

  it('is empty, not inverted, when the watermark equals the window end and there is no overlap', () => {
    const w = extractWindow({ overlapMinutes: 0, safetyLagSeconds: 30, watermark: at('2026-10-02T02:59:30Z'), sourceClock: at('2026-10-02T03:00:00Z') });
    expect(w).toEqual({ from: at('2026-10-02T02:59:30Z'), to: at('2026-10-02T02:59:30Z') });
  });

  it('keeps the whole overlap when it reaches back further than the last run', () => {
    // the previous run was 2 minutes ago; the 10-minute overlap still reaches back 10 minutes
    const w = extractWindow({ ...settings, watermark: at('2026-10-02T02:58:00Z'), sourceClock: at('2026-10-02T03:00:30Z') });
    expect(w).toEqual({ from: at('2026-10-02T02:48:00Z'), to: at('2026-10-02T03:00:00Z') });
  });

  it('never runs backwards: a lag that would end the window before it starts gives an empty window at its start', () => {
    // the safety lag was raised from 30 s to 1 h, more than the 10-minute overlap
    const w = extractWindow({ overlapMinutes: 10, safetyLagSeconds: 3600, watermark: at('2026-10-02T02:59:30Z'), sourceClock: at('2026-10-02T03:00:00Z') });
    expect(w).toEqual({ from: at('2026-10-02T02:49:30Z'), to: at('2026-10-02T02:49:30Z') });
    // and loading it leaves the watermark where it was
    expect(laterWatermark(at('2026-10-02T02:59:30Z'), watermarkAfterLoad('daily', w)!)).toBeNull();
  });

  it('uses a backfill window as requested, whatever the watermark, the clock or the settings', () => {
    const backfill = { from: at('2026-09-01T00:00:00Z'), to: at('2026-10-01T00:00:00Z') };
    expect(extractWindow({ ...settings, watermark: at('2026-10-02T00:00:00Z'), sourceClock: at('2026-10-03T00:00:00Z'), backfill })).toEqual(backfill);
  });

  it('does not trim a backfill window that ends in the future of the source clock (the request check refuses it, see backfill.ts)', () => {
    const backfill = { from: at('2026-10-01T00:00:00Z'), to: at('2026-10-05T00:00:00Z') };
    expect(extractWindow({ ...settings, watermark: null, sourceClock: at('2026-10-03T00:00:00Z'), backfill })).toEqual(backfill);
  });
});

describe('cappedExtractWindow: the oldest open source transaction caps the window end (late commits)', () => {
  const clock = at('2026-10-02T03:00:00Z');
  const watermark = at('2026-10-01T03:00:00Z');
  const visible = (oldestStart: Date | null, observedAt = clock) => ({ status: 'visible' as const, oldestStart, observedAt });

  it('ends the window just before a transaction that started before the lag bound, so none of its rows is in it', () => {
    // open since 02:40:00.123456 at the source; as a Date, 02:40:00.123
    const { window, cap } = cappedExtractWindow({ ...settings, watermark, sourceClock: clock, openTransactions: visible(at('2026-10-02T02:40:00.123Z')) });
    expect(window).toEqual({ from: at('2026-10-01T02:50:00Z'), to: at('2026-10-02T02:40:00.122Z') });
    // a row it stamps with its start is after the (inclusive) end, for the next window
    expect(at('2026-10-02T02:40:00.123Z') > window.to).toBe(true);
    expect(cap).toEqual({ status: 'open-transaction', oldestOpenTransaction: at('2026-10-02T02:40:00.123Z'), heldBackMs: 19 * 60_000 + 29_878 });
  });

  it('leaves the lag bound alone when the oldest open transaction started after it', () => {
    const { window, cap } = cappedExtractWindow({ ...settings, watermark, sourceClock: clock, openTransactions: visible(at('2026-10-02T02:59:50Z')) });
    expect(window).toEqual({ from: at('2026-10-01T02:50:00Z'), to: at('2026-10-02T02:59:30Z') });
    expect(cap).toEqual({ status: 'none', oldestOpenTransaction: at('2026-10-02T02:59:50Z'), heldBackMs: 0 });
  });

  it('is the plain lag window when no transaction is open', () => {
    const { window, cap } = cappedExtractWindow({ ...settings, watermark, sourceClock: clock, openTransactions: visible(null) });
    expect(window).toEqual(extractWindow({ ...settings, watermark, sourceClock: clock }));
    expect(cap).toEqual({ status: 'none', oldestOpenTransaction: null, heldBackMs: 0 });
  });

  it('never ends after the moment the source was looked at (a transaction that began later is not in the list)', () => {
    const { window } = cappedExtractWindow({
      overlapMinutes: 10,
      safetyLagSeconds: 0,
      watermark,
      sourceClock: clock,
      openTransactions: visible(null, at('2026-10-02T02:59:59.500Z')),
    });
    expect(window.to).toEqual(at('2026-10-02T02:59:59.499Z'));
  });

  it('gives an empty window at its start, never a backwards one, when the transaction began before the window', () => {
    // open since before the watermark minus the overlap: a forgotten session
    const { window, cap } = cappedExtractWindow({ ...settings, watermark, sourceClock: clock, openTransactions: visible(at('2026-10-01T01:00:00Z')) });
    expect(window).toEqual({ from: at('2026-10-01T02:50:00Z'), to: at('2026-10-01T02:50:00Z') });
    expect(cap.status).toBe('open-transaction');
    // loading it leaves the watermark where it was
    expect(laterWatermark(watermark, watermarkAfterLoad('daily', window)!)).toBeNull();
  });

  it('caps the first run too (no lower bound)', () => {
    const { window } = cappedExtractWindow({ ...settings, watermark: null, sourceClock: clock, openTransactions: visible(at('2026-10-02T01:00:00Z')) });
    expect(window).toEqual({ from: null, to: at('2026-10-02T00:59:59.999Z') });
  });

  it('falls back to the lag window and says why when the open transactions cannot be seen', () => {
    const { window, cap } = cappedExtractWindow({
      ...settings,
      watermark,
      sourceClock: clock,
      openTransactions: { status: 'unavailable', reason: 'no pg_read_all_stats' },
    });
    expect(window).toEqual({ from: at('2026-10-01T02:50:00Z'), to: at('2026-10-02T02:59:30Z') });
    expect(cap).toEqual({ status: 'unavailable', oldestOpenTransaction: null, heldBackMs: 0, reason: 'no pg_read_all_stats' });
  });

  it('does not cap a backfill, which reads the window it asked for', () => {
    const backfill = { from: at('2026-09-01T00:00:00Z'), to: at('2026-10-01T00:00:00Z') };
    const { window, cap } = cappedExtractWindow({
      ...settings,
      watermark,
      sourceClock: clock,
      openTransactions: visible(at('2026-09-15T00:00:00Z')),
      backfill,
    });
    expect(window).toEqual(backfill);
    expect(cap.status).toBe('backfill');
  });

  it('warns only when the cap holds the window back longer than the setting', () => {
    const held = (minutes: number) =>
      cappedExtractWindow({
        ...settings,
        safetyLagSeconds: 0,
        watermark,
        sourceClock: clock,
        openTransactions: visible(new Date(clock.getTime() - minutes * 60_000)),
      }).cap;
    expect(heldBackTooLong(held(61), 60)).toBe(true);
    expect(heldBackTooLong(held(59), 60)).toBe(false);
    expect(heldBackTooLong({ status: 'unavailable', oldestOpenTransaction: null, heldBackMs: 0 }, 60)).toBe(false);
  });
});

describe('lateRowsAtLeast: rows that appeared at or below the previous window end', () => {
  it('counts the rows the overlap found beyond what the previous batch held in the same range', () => {
    expect(lateRowsAtLeast(5, 7)).toBe(2);
    expect(lateRowsAtLeast(5, 5)).toBe(0);
  });
  it('never reports a negative count (rows updated again leave the range) and says nothing without a previous count', () => {
    expect(lateRowsAtLeast(5, 3)).toBe(0);
    expect(lateRowsAtLeast(null, 3)).toBeNull();
  });
});

describe('watermarks', () => {
  const loaded = { from: at('2026-10-01T02:50:00Z'), to: at('2026-10-02T02:59:30Z') };

  it('a daily load moves the watermark to the end of the window it loaded', () => {
    expect(watermarkAfterLoad('daily', loaded)).toEqual(loaded.to);
  });

  it('a backfill never moves a watermark, even to a later time', () => {
    expect(watermarkAfterLoad('backfill', loaded)).toBeNull();
    expect(watermarkAfterLoad('backfill', { from: null, to: at('2030-01-01T00:00:00Z') })).toBeNull();
  });

  it('never moves backwards', () => {
    const current = at('2026-10-02T00:00:00Z');
    expect(laterWatermark(null, current)).toEqual(current);
    expect(laterWatermark(current, at('2026-10-02T00:00:01Z'))).toEqual(at('2026-10-02T00:00:01Z'));
    expect(laterWatermark(current, at('2026-10-02T00:00:00Z'))).toBeNull();
    expect(laterWatermark(current, at('2026-10-01T23:59:59Z'))).toBeNull();
  });
});

describe('window text', () => {
  it('round-trips through the manifest form, the first run included', () => {
    for (const w of [
      { from: at('2026-10-01T02:50:00.123Z'), to: at('2026-10-02T02:59:30Z') },
      { from: null, to: at('2026-10-02T02:59:30Z') },
    ]) {
      expect(windowText(w)).toEqual({ from: w.from?.toISOString() ?? null, to: w.to.toISOString() });
      expect(windowOf(windowText(w))).toEqual(w);
    }
  });
});
