// The extract window and the watermark rules (DESIGN §4.1, §4.2) without a database: which rows a
// run reads, and where it leaves the watermark.
import { extractWindow, laterWatermark, watermarkAfterLoad, windowOf, windowText } from '../../shared/pipeline/extract-window.js';

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
