// The local host's routing must give a request the answer the real host gives it: Kestrel's path
// decoding, ASP.NET routing, and a 404 (not a 405) for a method no function takes.
import { decodePath, findRoute, matchRoute, requestPath } from '../../dev/routes.js';

describe('local host route matching', () => {
  it('matches plain routes under /api, case-insensitively, with or without a trailing slash', () => {
    expect(matchRoute('health', '/api/health')).toEqual({});
    expect(matchRoute('health', '/API/Health')).toEqual({});
    expect(matchRoute('health', '/api/health/')).toEqual({});
    expect(matchRoute('health', '/health')).toBeNull();
    expect(matchRoute('health', '/api/health/x')).toBeNull();
  });

  it('returns route parameters as the decoded path has them', () => {
    expect(matchRoute('runs/{id}', '/api/runs/20261130T101500123Z-1a2b3c')).toEqual({ id: '20261130T101500123Z-1a2b3c' });
    expect(matchRoute('runs/{id}', '/api/runs/a%2Fb c')).toEqual({ id: 'a%2Fb c' });
    expect(matchRoute('runs/{id}', '/api/runs')).toBeNull();
  });

  it('leaves an optional parameter out when its segment is absent', () => {
    expect(matchRoute('runs/{id?}', '/api/runs')).toEqual({});
    expect(matchRoute('runs/{id?}', '/api/runs/')).toEqual({});
    expect(matchRoute('runs/{id?}', '/api/runs/r1')).toEqual({ id: 'r1' });
    expect(matchRoute('runs/{id?}', '/api/runs/r1/steps')).toBeNull();
  });

  it('treats regular-expression characters in a template literally', () => {
    expect(matchRoute('v1.0/health', '/api/v1.0/health')).toEqual({});
    expect(matchRoute('v1.0/health', '/api/v1x0/health')).toBeNull();
  });

  it('picks the function taking the method and path; anything else is the host 404, as on Azure (no 405)', () => {
    const routes = [
      { name: 'health', route: 'health', methods: ['GET'] },
      { name: 'runs', route: 'runs/{id?}', methods: ['GET'] },
      { name: 'backfill', route: 'backfill', methods: ['POST'] },
    ];
    expect(findRoute(routes, 'GET', '/api/runs/r1')).toEqual({ route: routes[1], params: { id: 'r1' } });
    expect(findRoute(routes, 'POST', '/api/backfill')).toEqual({ route: routes[2], params: {} });
    expect(findRoute(routes, 'GET', '/api/backfill')).toBeNull();
    expect(findRoute(routes, 'HEAD', '/api/health')).toBeNull();
    expect(findRoute(routes, 'GET', '/api/nothing')).toBeNull();
  });
});

describe('request targets and path decoding (Kestrel)', () => {
  it('takes the path of an origin-form or absolute target and nothing else', () => {
    expect(requestPath('/api/runs?limit=5')).toBe('/api/runs');
    expect(requestPath('http://example.net/api/runs?limit=5')).toBe('/api/runs');
    expect(requestPath('*')).toBeNull();
    expect(requestPath('example.net:443')).toBeNull();
    expect(requestPath('api/runs')).toBeNull();
  });

  it.each([
    ['/api/runs/a%20b', '/api/runs/a b'],
    ['/api/runs/%C3%A9', '/api/runs/é'],
    ['/api/runs/%F0%9F%98%80', '/api/runs/😀'],
    ['/api/%68ealth', '/api/health'],
    // not valid escapes or not whole UTF-8 characters: kept as written
    ['/api/runs/%ZZ', '/api/runs/%ZZ'],
    ['/api/runs/%', '/api/runs/%'],
    ['/api/runs/%4', '/api/runs/%4'],
    ['/api/runs/%E0', '/api/runs/%E0'],
    ['/api/runs/%E0%A4', '/api/runs/%E0%A4'],
    ['/api/runs/%C0%AF', '/api/runs/%C0%AF'], // overlong '/'
    ['/api/runs/%ED%A0%80', '/api/runs/%ED%A0%80'], // a UTF-16 surrogate
    ['/api/runs/%80', '/api/runs/%80'],
    ['/api/runs/%C3%A9%E0', '/api/runs/é%E0'],
    // %2F never becomes a segment separator
    ['/api/runs/a%2Fb', '/api/runs/a%2Fb'],
    ['/api/runs/a%2fb', '/api/runs/a%2fb'],
    // dot segments, also encoded ones, are removed after decoding
    ['/api/x/../health', '/api/health'],
    ['/api/./health', '/api/health'],
    ['/api/%2E%2E/api/health', '/api/health'],
    ['/api/runs/..', '/api/'],
  ])('decodes %s as %s', (raw, decoded) => {
    expect(decodePath(raw)).toBe(decoded);
  });

  it.each(['/api/runs/%00', '/api/runs/a%00b', '/api/%00/health', '/api/runs/%C3%00'])('refuses an encoded NUL in %s (Kestrel: 400)', (raw) => {
    expect(decodePath(raw)).toBeNull();
  });
});
