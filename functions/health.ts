// GET /api/health — 200 when the OLTP source and the warehouse answer, 503 otherwise.
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { checkHealth } from '../shared/health.js';

export async function healthHandler(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const health = await checkHealth();
  if (!health.ok) context.warn('health check failed', JSON.stringify(health.dependencies.filter((d) => !d.ok)));
  return { status: health.ok ? 200 : 503, jsonBody: health };
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: healthHandler });
