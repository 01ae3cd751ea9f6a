// Queue trigger on extract-retry: a daily trigger postponed because a live run held the pipeline
// lease (functions/extract.ts) tries again. If a live run still holds it, it queues itself again
// (delayed) until the end of the UTC day of the first trigger; a malformed message goes to poison.
import { app, type InvocationContext } from '@azure/functions';
import { parseExtractRetry, QUEUES } from '../shared/pipeline/messages.js';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { extractOrRetryLater } from '../shared/pipeline/extract-or-retry.js';
import { queueDelivery, startingRun } from '../shared/pipeline/handler-telemetry.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function extractRetryHandler(message: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  await queueDelivery(log, QUEUES.extractRetry, message, context.triggerMetadata?.dequeueCount, async () => {
    const retry = parseExtractRetry(message);
    log.info('retrying a postponed daily extract', { ...retry });
    await startingRun(
      log,
      'daily',
      () => pipelineContext(log),
      (ctx) => extractOrRetryLater(ctx, new Date(retry.firstTriggerAt), retry.attempt),
    );
  });
}

export const extractRetryQueue = { queueName: QUEUES.extractRetry, connection: 'AzureWebJobsStorage' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.storageQueue('extractRetry', { ...extractRetryQueue, handler: extractRetryHandler });
