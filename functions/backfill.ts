// POST /api/backfill — re-extract a window of the source: {"from", "to", "entities"?, "dryRun"?}.
// 400 for a bad request (nothing is started), 200 with per-entity row counts for a dry run,
// 202 with the run's status URL once the extract is done and the load queued, 409 while another
// run holds the pipeline lease. Validation and counting live in shared/pipeline/backfill.ts.
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { countBackfillRows, planBackfill, type BackfillRequest } from '../shared/pipeline/backfill.js';
import { BadRequestError } from '../shared/pipeline/bad-request.js';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { runExtract } from '../shared/pipeline/run-extract.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function backfillHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLogger(context);
  const ctx = await pipelineContext(log);
  let plan: BackfillRequest;
  try {
    plan = await planBackfill(ctx, await request.text());
  } catch (e) {
    if (!(e instanceof BadRequestError)) throw e;
    log.warn('backfill request rejected', { error: e.message });
    return { status: 400, jsonBody: { error: e.message } };
  }
  const window = { from: plan.window.from.toISOString(), to: plan.window.to.toISOString() };
  if (plan.dryRun) {
    const rows = await countBackfillRows(ctx.oltp, plan.window, plan.entities);
    log.info('backfill dry run', { ...window, rows });
    return { status: 200, jsonBody: { dryRun: true, window, rows } };
  }
  const outcome = await runExtract(ctx, { kind: 'backfill', window: plan.window, entities: plan.entities, requestedBy: 'api' });
  if (outcome.status === 'skipped') return { status: 409, jsonBody: { error: 'another run is in progress', heldBy: outcome.heldBy } };
  const statusUrl = `/api/runs/${encodeURIComponent(outcome.runId)}`;
  log.info('backfill started; load queued', { runId: outcome.runId, ...window, rows: outcome.rows });
  return { status: 202, headers: { Location: statusUrl }, jsonBody: { runId: outcome.runId, status: 'running', statusUrl } };
}

export const backfillRoute = { route: 'backfill', methods: ['POST'] as HttpMethod[], authLevel: 'function' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.http('backfill', { ...backfillRoute, handler: backfillHandler });
