// Queue triggers with host.json's semantics: base64 messages, JSON bodies parsed (anything else is
// handed over as a string, as the Node worker does), the dequeue count in the trigger metadata,
// a failed message retried after visibilityTimeout and moved to <queue>-poison once it has been
// tried maxDequeueCount times.
import type { QueueServiceClient } from '@azure/storage-queue';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueueSettings } from './host-json.js';
import { invocationContext, type HostLog } from './invocation-context.js';
import type { QueueRegistration } from './registrations.js';

/** The body a queue handler receives for a base64 message text. */
export function queueMessageBody(messageText: string): unknown {
  const text = Buffer.from(messageText, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface QueuePoller {
  /** polls every queue once; returns how many messages were handled */
  pollOnce(): Promise<number>;
  /** polls until every queue has been empty for `waitMs` (by default long enough for a pending retry to reappear) */
  drain(waitMs?: number): Promise<void>;
}

export function createQueuePoller(options: {
  queues: readonly QueueRegistration[];
  service: QueueServiceClient;
  /** maps a queue name to the real one (tests isolate queues) */
  queueName: (name: string) => string;
  settings: QueueSettings;
  log: HostLog;
}): QueuePoller {
  const { service, queueName, settings, log } = options;

  async function handleOne(q: QueueRegistration): Promise<boolean> {
    const client = service.getQueueClient(queueName(q.queueName));
    await client.createIfNotExists();
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 10 * 60 });
    const item = receivedMessageItems[0];
    if (!item) return false;
    try {
      const metadata = { id: item.messageId, dequeueCount: item.dequeueCount, insertionTime: item.insertedOn };
      await q.handler(queueMessageBody(item.messageText), invocationContext(q.name, log, metadata));
      await client.deleteMessage(item.messageId, item.popReceipt);
    } catch (e) {
      log(`[${q.name}] attempt ${item.dequeueCount} of ${settings.maxDequeueCount} failed: ${e instanceof Error ? e.message : String(e)}`);
      if (item.dequeueCount >= settings.maxDequeueCount) {
        const poison = service.getQueueClient(`${queueName(q.queueName)}-poison`);
        await poison.createIfNotExists();
        await poison.sendMessage(item.messageText);
        await client.deleteMessage(item.messageId, item.popReceipt);
        log(`[${q.name}] message ${item.messageId} moved to ${queueName(q.queueName)}-poison`);
      } else {
        await client.updateMessage(item.messageId, item.popReceipt, undefined, settings.visibilityTimeoutSeconds);
      }
    }
    return true;
  }

  async function pollOnce(): Promise<number> {
    let handled = 0;
    for (const q of options.queues) if (await handleOne(q)) handled++;
    return handled;
  }

  async function drain(waitMs = settings.visibilityTimeoutSeconds * 1000 + 1000): Promise<void> {
    let idleSince = Date.now();
    while (Date.now() - idleSince < waitMs) {
      if ((await pollOnce()) > 0) idleSince = Date.now();
      else await sleep(200);
    }
  }

  return { pollOnce, drain };
}

/** Polls in the background, backing off to maxPollingInterval while the queues are empty, until stop() is called. */
export function pollInBackground(poller: QueuePoller, settings: QueueSettings, log: HostLog): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    let delay = 100;
    while (!stopped) {
      const handled = await poller.pollOnce().catch((e: unknown) => (log(`queue polling failed: ${e instanceof Error ? e.message : String(e)}`), 0));
      delay = handled > 0 ? 100 : Math.min(delay * 2, settings.maxPollingIntervalMs);
      await sleep(delay);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}
