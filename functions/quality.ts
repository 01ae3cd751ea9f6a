// GET /api/quality?limit=N&check=NAME — the newest quality results first (etl.quality_result, the
// pipeline's checks and `npm run dw:check`'s), optionally of one check, with the certified pointer.
// A malformed limit or an unknown check is a 400 before any query (shared/http/quality-request.ts).
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { qualityQuery } from '../shared/http/quality-request.js';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { readCertified } from '../shared/quality/certified.js';
import { recentResults } from '../shared/quality/history.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { refusal } from './runtime/refusal.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function qualityHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  let query;
  try {
    query = qualityQuery(request.query);
  } catch (e) {
    return refusal(e);
  }
  const { dw } = await pipelineContext(invocationLogger(context));
  const certified = await readCertified(dw.db);
  return {
    status: 200,
    jsonBody: {
      certified: {
        runId: certified.runId,
        certifiedTo: certified.certifiedTo?.toISOString() ?? null,
        certifiedAt: certified.certifiedAt?.toISOString() ?? null,
      },
      results: await recentResults(dw.db, query),
    },
  };
}

export const qualityRoute = { route: 'quality', methods: ['GET'] as HttpMethod[], authLevel: 'function' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.http('quality', { ...qualityRoute, handler: qualityHandler });
