// GET /api/health — 200 when the OLTP source and the warehouse answer, 503 otherwise.
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { checkHealth } from '../shared/health.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function healthHandler(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const health = await checkHealth();
  if (!health.ok) context.warn('health check failed', JSON.stringify(health.dependencies.filter((d) => !d.ok)));
  return { status: health.ok ? 200 : 503, jsonBody: health };
}

export const healthRoute = { route: 'health', methods: ['GET'] as HttpMethod[], authLevel: 'anonymous' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.http('health', { ...healthRoute, handler: healthHandler });
