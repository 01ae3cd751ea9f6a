// What the HTTP API refuses before it touches a database: a body that is not declared JSON (415)
// or too large (413), a run id that newRunId could not have made, a bad or repeated `limit`, and
// a backfill window before BACKFILL_MIN_DATE (400).
import { jest } from '@jest/globals';
import { checkJsonContentType, MAX_JSON_BODY_BYTES, readJsonBody } from '../../shared/http/json-body.js';
import { checkRunId, runsLimit } from '../../shared/http/runs-request.js';
import { checkWindowStart, parseBackfillRequest } from '../../shared/pipeline/backfill.js';
import { BadRequestError } from '../../shared/pipeline/bad-request.js';
import { newRunId } from '../../shared/pipeline/run-audit.js';

/** The refusal `fn` throws (it must throw one). */
async function refusal(fn: () => unknown): Promise<BadRequestError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof BadRequestError) return e;
    throw e;
  }
  throw new Error('accepted');
}

const request = (headers: Record<string, string>, body: string) => ({
  headers: { get: (name: string) => headers[name] ?? null },
  text: () => Promise.resolve(body),
});

describe('JSON request bodies', () => {
  it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"', 'application/json ; charset=utf-8'])(
    'accepts %j',
    (type) => {
      expect(() => checkJsonContentType(type)).not.toThrow();
    },
  );

  it.each([
    null,
    '',
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json-patch+json',
    'application/jsonx',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
  ])('refuses %j with 415', async (type) => {
    const e = await refusal(() => checkJsonContentType(type));
    expect(e.status).toBe(415);
    expect(e.message).toMatch(/^content-type must be application\/json \(UTF-8\); got /);
  });

  it('reads a body up to the limit and refuses one byte more with 413, by declared length or by actual size', async () => {
    const json = { 'content-type': 'application/json' };
    const fits = `"${'x'.repeat(MAX_JSON_BODY_BYTES - 2)}"`;
    expect(await readJsonBody(request(json, fits))).toBe(fits);
    expect((await refusal(() => readJsonBody(request(json, `${fits} `)))).status).toBe(413);
    expect((await refusal(() => readJsonBody(request({ ...json, 'content-length': String(MAX_JSON_BODY_BYTES + 1) }, '{}')))).status).toBe(413);
    // multi-byte characters count as bytes, not as characters
    expect((await refusal(() => readJsonBody(request(json, 'é'.repeat(MAX_JSON_BODY_BYTES / 2 + 1))))).status).toBe(413);
  });

  it('checks the content type before reading the body', async () => {
    let read = false;
    const e = await refusal(() => readJsonBody({ headers: { get: () => 'text/plain' }, text: () => ((read = true), Promise.resolve('{}')) }));
    expect(e.status).toBe(415);
    expect(read).toBe(false);
  });
});

describe('run ids', () => {
  it('accepts every id newRunId makes, including a short random part', () => {
    const random = jest.spyOn(Math, 'random');
    try {
      for (const r of [0.5, 0.0625, 0.123456789, 0.999999]) {
        random.mockReturnValueOnce(r);
        expect(() => checkRunId(newRunId(new Date('2026-11-30T10:15:00.123Z')))).not.toThrow();
      }
    } finally {
      random.mockRestore();
    }
    for (let i = 0; i < 200; i++) expect(() => checkRunId(newRunId())).not.toThrow();
  });

  it.each([
    '',
    'nosuch',
    '20261130T101500123Z',
    '20261130T101500123Z-',
    '20261130T101500123Z-1a2b3c4',
    '20261130T101500123Z-1A2B3C',
    '2026-11-30T10:15:00.123Z-1a2b3c',
    '20261130T101500123Z-1a2b3c\0',
    "20261130T101500123Z-1a2b3c' or '1'='1",
    '20261130T101500123Z-1a2b3c\n',
    '٢٠٢٦١١٣٠T101500123Z-1a2b3c',
    `20261130T101500123Z-${'a'.repeat(5000)}`,
  ])('refuses %j with 400, quoting at most 40 characters of it', async (id) => {
    const e = await refusal(() => checkRunId(id));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/^run id ".*" is not of the form 20261130T101500123Z-1a2b3c$/s);
    expect(e.message.length).toBeLessThan(140);
    expect(e.message).not.toContain('\0');
  });
});

describe('limit of GET /api/runs', () => {
  it('defaults when absent and reads one whole number', () => {
    expect(runsLimit(new URLSearchParams(''))).toBe(20);
    expect(runsLimit(new URLSearchParams('limit=5&code=key'))).toBe(5);
  });

  it.each(['limit=', 'limit=%20', 'limit=5&limit=6', 'limit=5&limit=5', 'limit=-1', 'limit=1e3', 'limit=0x10', 'limit=201', 'limit=%00'])(
    'refuses %s with 400',
    async (query) => {
      expect((await refusal(() => runsLimit(new URLSearchParams(query)))).status).toBe(400);
    },
  );
});

describe('backfill floor (BACKFILL_MIN_DATE)', () => {
  const settings = { BACKFILL_MAX_DAYS: 92, BACKFILL_MIN_DATE: new Date('2000-01-01T00:00:00Z') };
  const body = (from: string, to: string) => JSON.stringify({ from, to });

  it('accepts a window starting at the floor, compared in UTC', () => {
    expect(parseBackfillRequest(body('2000-01-01', '2000-02-01'), settings).window.from).toEqual(settings.BACKFILL_MIN_DATE);
    // 22:00 on 1999-12-31 at -03:00 is 01:00 UTC on 2000-01-01
    expect(parseBackfillRequest(body('1999-12-31T22:00:00-03:00', '2000-01-15'), settings).window.from.toISOString()).toBe('2000-01-01T01:00:00.000Z');
  });

  it.each([
    ['0000-01-01', '0000-02-01'],
    ['1999-12-31T23:59:59.999Z', '2000-01-15'],
    ['2000-01-01T00:30:00+01:00', '2000-01-15'],
  ])('refuses from=%s with 400', async (from, to) => {
    const e = await refusal(() => parseBackfillRequest(body(from, to), settings));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/^from \(.*\) is before 2000-01-01 \(BACKFILL_MIN_DATE\)$/);
  });

  it('takes the floor from the setting', async () => {
    const later = { ...settings, BACKFILL_MIN_DATE: new Date('2020-06-01T00:00:00Z') };
    expect((await refusal(() => parseBackfillRequest(body('2020-05-31', '2020-06-30'), later))).message).toMatch(/before 2020-06-01/);
    expect(() =>
      checkWindowStart({ window: { from: later.BACKFILL_MIN_DATE, to: new Date() }, entities: [], dryRun: false }, later.BACKFILL_MIN_DATE),
    ).not.toThrow();
  });
});
