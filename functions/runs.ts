// GET /api/runs?limit=N — the latest runs, newest first (default 20, at most 200).
// GET /api/runs/{id}   — one run with its steps (etl.run + etl.run_step); 404 for an unknown id.
// One function with an optional route parameter, so both share one registration and key.
// A malformed limit or run id is a 400 before any query (shared/http/runs-request.ts).
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { checkRunId, runsLimit } from '../shared/http/runs-request.js';
import { listRuns, readRunReport } from '../shared/pipeline/run-report.js';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { refusal } from './runtime/refusal.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function runsHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const id = request.params.id || undefined;
  let limit = 0;
  try {
    if (id === undefined) limit = runsLimit(request.query);
    else checkRunId(id);
  } catch (e) {
    return refusal(e);
  }
  const { dw } = await pipelineContext(invocationLogger(context));
  if (id === undefined) return { status: 200, jsonBody: { runs: await listRuns(dw.db, limit) } };
  const report = await readRunReport(dw.db, id);
  return report ? { status: 200, jsonBody: report } : { status: 404, jsonBody: { error: `no run '${id}'` } };
}

export const runsRoute = { route: 'runs/{id?}', methods: ['GET'] as HttpMethod[], authLevel: 'function' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.http('runs', { ...runsRoute, handler: runsHandler });
