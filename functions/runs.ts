// GET /api/runs?limit=N — the latest runs, newest first (default 20, at most 200).
// GET /api/runs/{id}   — one run with its steps (etl.run + etl.run_step); 404 for an unknown id.
// One function with an optional route parameter, so both share one registration and key.
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { BadRequestError } from '../shared/pipeline/bad-request.js';
import { listRuns, parseRunsLimit, readRunReport } from '../shared/pipeline/run-report.js';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function runsHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const id = request.params.id;
  let limit = 0;
  if (!id) {
    try {
      limit = parseRunsLimit(request.query.get('limit'));
    } catch (e) {
      if (e instanceof BadRequestError) return { status: 400, jsonBody: { error: e.message } };
      throw e;
    }
  }
  const { dw } = await pipelineContext(invocationLogger(context));
  if (!id) return { status: 200, jsonBody: { runs: await listRuns(dw.db, limit) } };
  const report = await readRunReport(dw.db, id);
  return report ? { status: 200, jsonBody: report } : { status: 404, jsonBody: { error: `no run '${id.slice(0, 60)}'` } };
}

export const runsRoute = { route: 'runs/{id?}', methods: ['GET'] as HttpMethod[], authLevel: 'function' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.http('runs', { ...runsRoute, handler: runsHandler });
