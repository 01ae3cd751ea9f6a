import { findRoute, matchRoute } from '../../dev/routes.js';

describe('local host route matching', () => {
  it('matches plain routes under /api, case-insensitively', () => {
    expect(matchRoute('health', '/api/health')).toEqual({});
    expect(matchRoute('health', '/API/Health')).toEqual({});
    expect(matchRoute('health', '/health')).toBeNull();
    expect(matchRoute('health', '/api/health/x')).toBeNull();
  });

  it('returns route parameters, URL-decoded', () => {
    expect(matchRoute('runs/{id}', '/api/runs/20261130T101500123Z-1a2b3c')).toEqual({ id: '20261130T101500123Z-1a2b3c' });
    expect(matchRoute('runs/{id}', '/api/runs/a%2Fb%20c')).toEqual({ id: 'a/b c' });
    expect(matchRoute('runs/{id}', '/api/runs')).toBeNull();
  });

  it('leaves an optional parameter out when its segment is absent', () => {
    expect(matchRoute('runs/{id?}', '/api/runs')).toEqual({});
    expect(matchRoute('runs/{id?}', '/api/runs/r1')).toEqual({ id: 'r1' });
    expect(matchRoute('runs/{id?}', '/api/runs/r1/steps')).toBeNull();
  });

  it('treats regular-expression characters in a template literally', () => {
    expect(matchRoute('v1.0/health', '/api/v1.0/health')).toEqual({});
    expect(matchRoute('v1.0/health', '/api/v1x0/health')).toBeNull();
  });

  it('picks the function for a method and path: 404 when no route matches, 405 when none takes the method', () => {
    const routes = [
      { name: 'health', route: 'health', methods: ['GET'] },
      { name: 'runs', route: 'runs/{id?}', methods: ['GET'] },
      { name: 'backfill', route: 'backfill', methods: ['POST'] },
    ];
    expect(findRoute(routes, 'GET', '/api/runs/r1')).toEqual({ route: routes[1], params: { id: 'r1' } });
    expect(findRoute(routes, 'POST', '/api/backfill')).toEqual({ route: routes[2], params: {} });
    expect(findRoute(routes, 'GET', '/api/backfill')).toBe('method not allowed');
    expect(findRoute(routes, 'GET', '/api/nothing')).toBe('not found');
  });
});
