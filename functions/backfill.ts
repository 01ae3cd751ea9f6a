// POST /api/backfill — re-extract a window of the source: {"from", "to", "entities"?, "dryRun"?}.
// Refused before any database is touched: 415 unless the body is application/json, 413 when it is
// larger than 16 KiB, 400 for a bad body or window (only "later than the source's clock" needs
// the source). Then 200 with per-entity row counts for a dry run; otherwise the run takes the
// pipeline lease and answers 202 at once with its status URL (409 while another run holds the
// lease): the extract runs from the backfill-extract queue (functions/backfill-extract.ts), since
// Azure cuts an HTTP request at 230 s. Validation and counting live in shared/pipeline/backfill.ts,
// the two steps of the run in shared/pipeline/backfill-run.ts, the body's form in shared/http/.
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { loadSettings } from '../shared/config/settings.js';
import { readJsonBody } from '../shared/http/json-body.js';
import { checkAgainstSourceClock, countBackfillRows, parseBackfillRequest, type BackfillRequest } from '../shared/pipeline/backfill.js';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { startBackfill } from '../shared/pipeline/backfill-run.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { flushTelemetry } from '../shared/telemetry/app-insights.js';
import { refusal } from './runtime/refusal.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function backfillHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLogger(context);
  let plan: BackfillRequest;
  let ctx: Awaited<ReturnType<typeof pipelineContext>>;
  try {
    plan = parseBackfillRequest(await readJsonBody(request), loadSettings());
    ctx = await pipelineContext(log);
    await checkAgainstSourceClock(ctx.oltp, plan);
  } catch (e) {
    const answer = refusal(e);
    log.warn('backfill request rejected', { status: answer.status, error: (e as Error).message });
    return answer;
  }
  const window = { from: plan.window.from.toISOString(), to: plan.window.to.toISOString() };
  if (plan.dryRun) {
    const rows = await countBackfillRows(ctx.oltp, plan.window, plan.entities);
    log.info('backfill dry run', { ...window, rows });
    return { status: 200, jsonBody: { dryRun: true, window, rows } };
  }
  // the run's events go out before the answer (the host may freeze the process after it)
  const started = await startBackfill(ctx, plan).finally(flushTelemetry);
  if (started.status === 'skipped') return { status: 409, jsonBody: { error: 'another run is in progress', heldBy: started.heldBy } };
  const statusUrl = `/api/runs/${encodeURIComponent(started.runId)}`;
  return { status: 202, headers: { Location: statusUrl }, jsonBody: { runId: started.runId, status: 'running', statusUrl } };
}

export const backfillRoute = { route: 'backfill', methods: ['POST'] as HttpMethod[], authLevel: 'function' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.http('backfill', { ...backfillRoute, handler: backfillHandler });
