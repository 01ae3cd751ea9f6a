// Queue trigger on backfill-extract: the extract of a backfill that POST /api/backfill accepted
// (its run holds the pipeline lease), then the same chain as a daily run (load-dimensions ->
// load-facts). A duplicate or late delivery extracts nothing (shared/pipeline/backfill-run.ts); a
// malformed message, or one naming no backfill run, fails every attempt with its reason logged
// and so lands in backfill-extract-poison after maxDequeueCount (host.json).
import { app, type InvocationContext } from '@azure/functions';
import { extractBackfill } from '../shared/pipeline/backfill-run.js';
import { queueDelivery } from '../shared/pipeline/handler-telemetry.js';
import { QUEUES, receiveBackfillExtract } from '../shared/pipeline/messages.js';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function backfillExtractHandler(message: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  const { dequeueCount } = context.triggerMetadata ?? {};
  await queueDelivery(log, QUEUES.backfillExtract, message, dequeueCount, async () => {
    const parsed = receiveBackfillExtract(message, log, dequeueCount);
    await extractBackfill(await pipelineContext(log), parsed);
  });
}

export const backfillExtractQueue = { queueName: QUEUES.backfillExtract, connection: 'AzureWebJobsStorage' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.storageQueue('backfillExtract', { ...backfillExtractQueue, handler: backfillExtractHandler });
