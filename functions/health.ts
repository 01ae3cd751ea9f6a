// GET /api/health (anonymous) — 200 when both databases answer and the warehouse schema is
// current, 503 (degraded) otherwise. The answer carries no host, user or database name and no
// driver error text; the reasons go to this invocation's log (shared/health.ts).
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { checkHealth } from '../shared/health.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function healthHandler(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const health = await checkHealth(invocationLogger(context));
  // a probe must not read a cached answer
  return { status: health.status === 'up' ? 200 : 503, jsonBody: health, headers: { 'cache-control': 'no-store' } };
}

export const healthRoute = { route: 'health', methods: ['GET'] as HttpMethod[], authLevel: 'anonymous' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.http('health', { ...healthRoute, handler: healthHandler });
