// Queue trigger on load-dimensions: stage, validate and merge the dimension batches of a run,
// then queue the fact load. A malformed message fails every attempt with its reason logged and
// so lands in load-dimensions-poison after maxDequeueCount (host.json), never loops forever.
import { app, type InvocationContext } from '@azure/functions';
import { loadDimensions } from '../shared/pipeline/load-dimensions.js';
import { deliveryOf, QUEUES, receiveLoadMessage } from '../shared/pipeline/messages.js';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { queueDelivery } from '../shared/pipeline/handler-telemetry.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function loadDimensionsHandler(message: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  const { dequeueCount } = context.triggerMetadata ?? {};
  await queueDelivery(log, QUEUES.dimensions, message, dequeueCount, async () => {
    const parsed = receiveLoadMessage(message, log, dequeueCount);
    // the attempt's dequeue count: on the last one (or an error no retry can fix) the run is given up
    await loadDimensions(await pipelineContext(log, deliveryOf(dequeueCount)), parsed);
  });
}

export const loadDimensionsQueue = { queueName: QUEUES.dimensions, connection: 'AzureWebJobsStorage' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.storageQueue('loadDimensions', { ...loadDimensionsQueue, handler: loadDimensionsHandler });
