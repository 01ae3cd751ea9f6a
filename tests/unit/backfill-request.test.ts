// A backfill request body, checked before anything touches a database: which window and
// entities it asks for, and the message a caller gets when it is wrong.
import { checkWindowEnd, parseBackfillBody, parseInstant } from '../../shared/pipeline/backfill.js';
import { BadRequestError } from '../../shared/pipeline/bad-request.js';
import { ENTITIES } from '../../shared/pipeline/entities.js';

const ALL = ENTITIES.map((e) => e.name);
const parse = (body: unknown, maxDays = 92) => parseBackfillBody(typeof body === 'string' ? body : JSON.stringify(body), maxDays);
const rejection = (body: unknown, maxDays = 92): string => {
  try {
    parse(body, maxDays);
  } catch (e) {
    if (e instanceof BadRequestError) return e.message;
    throw e;
  }
  throw new Error('the body was accepted');
};

describe('parseInstant', () => {
  it.each([
    ['2026-10-01', '2026-10-01T00:00:00.000Z'],
    ['2026-10-01T12:00:00Z', '2026-10-01T12:00:00.000Z'],
    ['2026-10-01T12:00:00+02:00', '2026-10-01T10:00:00.000Z'],
    ['2026-10-01T00:30:00-03:00', '2026-10-01T03:30:00.000Z'],
    ['2026-12-31T23:00:00-03:00', '2027-01-01T02:00:00.000Z'],
    ['2026-10-01T12:00:00.123Z', '2026-10-01T12:00:00.123Z'],
    ['  2026-10-01  ', '2026-10-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseInstant(text)?.toISOString()).toBe(iso);
  });

  it.each(['2026-10-01T12:00:00', '2026-02-30', '2026-13-01', '01/10/2026', 'yesterday', '', '2026-10-01 12:00:00Z'])('refuses %j', (text) => {
    expect(parseInstant(text)).toBeNull();
  });
});

describe('parseBackfillBody', () => {
  it('reads the window and defaults to every entity, in load order, and no dry run', () => {
    expect(parse({ from: '2026-04-01', to: '2026-05-01T00:00:00Z' })).toEqual({
      window: { from: new Date('2026-04-01T00:00:00Z'), to: new Date('2026-05-01T00:00:00Z') },
      entities: ALL,
      dryRun: false,
    });
  });

  it('returns the named entities in load order, once each, whatever order they were given in', () => {
    const r = parse({ from: '2026-04-01', to: '2026-05-01', entities: ['metas', 'clientes', 'metas'], dryRun: true });
    expect(r.entities).toEqual(['clientes', 'metas']);
    expect(r.dryRun).toBe(true);
  });

  it('accepts a window of exactly BACKFILL_MAX_DAYS and refuses one a second longer', () => {
    expect(parse({ from: '2026-04-01', to: '2026-04-11' }, 10).window.to).toEqual(new Date('2026-04-11T00:00:00Z'));
    expect(rejection({ from: '2026-04-01', to: '2026-04-11T00:00:01Z' }, 10)).toMatch(/is 10\.01 days; at most 10 days \(BACKFILL_MAX_DAYS\) per request/);
  });

  it('compares instants, not texts: the same moment in two offsets is an empty window', () => {
    expect(rejection({ from: '2026-04-01T03:00:00Z', to: '2026-04-01T00:00:00-03:00' })).toMatch(/must be before to.*the window is \(from, to\]/);
  });

  it.each([
    ['not JSON', '{"from":', /^body is not JSON/],
    ['null', 'null', /^body must be a JSON object .*; got null$/],
    ['a number', '42', /got a number$/],
    ['an array', '[]', /got an array$/],
  ])('refuses a body that is %s', (_name, body, message) => {
    expect(rejection(body)).toMatch(message);
  });

  it('names every problem of a body at once, each with its field', () => {
    const message = rejection({ to: '2026-05-01T00:00:00', dryRun: 1 });
    expect(message).toMatch(/from: is required/);
    expect(message).toMatch(/to: '2026-05-01T00:00:00' has no offset; add Z for UTC/);
    expect(message).toMatch(/dryRun: must be true or false/);
  });

  it('names unknown fields and entities, and lists the valid ones', () => {
    expect(rejection({ from: '2026-04-01', to: '2026-05-01', From: 'x', since: 'y' })).toBe(
      "unknown fields 'From', 'since'; expected from, to, entities, dryRun",
    );
    expect(rejection({ from: '2026-04-01', to: '2026-05-01', entities: ['orders', 'pedidos', 'orders', 'items'] })).toBe(
      `entities: unknown entities 'orders', 'items'; valid: ${ALL.join(', ')}`,
    );
    expect(rejection({ from: '2026-04-01', to: '2026-05-01', entities: [1] })).toMatch(/^entities\.0: must be entity names/);
  });

  it('cuts an overlong value in its message', () => {
    expect(rejection({ from: 'x'.repeat(500), to: '2026-05-01' })).toBe(
      `from: '${'x'.repeat(40)}' is not an ISO date (2026-10-01, meaning 00:00 UTC) or a datetime with its offset (2026-10-01T12:00:00Z)`,
    );
  });
});

describe('checkWindowEnd', () => {
  const request = parse({ from: '2026-04-01', to: '2026-05-01T00:00:00Z' });

  it('accepts a window that ends at or before the source clock', () => {
    expect(() => checkWindowEnd(request, new Date('2026-05-01T00:00:00Z'))).not.toThrow();
    expect(() => checkWindowEnd(request, new Date('2026-06-01T00:00:00Z'))).not.toThrow();
  });

  it('refuses a window that ends in the future of the source clock', () => {
    expect(() => checkWindowEnd(request, new Date('2026-04-30T23:59:59Z'))).toThrow(BadRequestError);
    expect(() => checkWindowEnd(request, new Date('2026-04-30T23:59:59Z'))).toThrow(
      'to (2026-05-01T00:00:00.000Z) is in the future of the source clock (2026-04-30T23:59:59.000Z)',
    );
  });
});
