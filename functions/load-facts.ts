// Queue trigger on load-facts: the run's last step — sales, discounts, payments and targets,
// re-keying of late-arriving members, then the run is closed and the pipeline lease released.
// A malformed message fails every attempt with its reason logged and lands in load-facts-poison.
import { app, type InvocationContext } from '@azure/functions';
import { loadFacts } from '../shared/pipeline/load-facts.js';
import { deliveryOf, QUEUES, receiveLoadMessage } from '../shared/pipeline/messages.js';
import { pipelineContext } from '../shared/pipeline/runtime.js';
import { queueDelivery } from '../shared/pipeline/handler-telemetry.js';
import { invocationLogger } from '../shared/telemetry/invocation-logger.js';
import { underFunctionsHost } from './runtime/functions-host.js';

export async function loadFactsHandler(message: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  const { dequeueCount } = context.triggerMetadata ?? {};
  await queueDelivery(log, QUEUES.facts, message, dequeueCount, async () => {
    const parsed = receiveLoadMessage(message, log, dequeueCount);
    // the attempt's dequeue count: on the last one (or an error no retry can fix) the run is given up
    await loadFacts(await pipelineContext(log, deliveryOf(dequeueCount)), parsed);
  });
}

export const loadFactsQueue = { queueName: QUEUES.facts, connection: 'AzureWebJobsStorage' } as const;

// registered only under the real host (see runtime/functions-host.ts); elsewhere the handler is called directly
if (underFunctionsHost) app.storageQueue('loadFacts', { ...loadFactsQueue, handler: loadFactsHandler });
