// Queue triggers with host.json's semantics: base64 messages, JSON bodies parsed (anything else is
// handed over as a string, as the Node worker does), the dequeue count in the trigger metadata,
// a failed message retried after visibilityTimeout and moved to <queue>-poison once it has been
// tried maxDequeueCount times. Settling a message (delete, update, move to poison) is retried
// when storage blips; a message whose settle still fails is logged and comes back after its
// visibility timeout, where it is reported as a redelivery (the pipeline's handlers recognise a
// duplicate of work already done), never processed again silently and never a crash.
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

/** Retries a storage call a few times with a short backoff (a blip); the last error is thrown. */
export async function settleWithRetry<T>(what: string, fn: () => Promise<T>, log: HostLog, attempts = 4, baseMs = 200): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= attempts) throw e;
      const delay = baseMs * 2 ** (attempt - 1);
      log(`${what} failed (attempt ${attempt} of ${attempts}): ${e instanceof Error ? e.message : String(e)}; retrying in ${delay} ms`);
      await sleep(delay);
    }
  }
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
  /** messages handled whose settle failed: their next delivery is reported, not silent */
  const unsettled = new Map<string, string>();
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

  async function handleOne(q: QueueRegistration): Promise<boolean> {
    const client = service.getQueueClient(queueName(q.queueName));
    await client.createIfNotExists();
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 10 * 60 });
    const item = receivedMessageItems[0];
    if (!item) return false;
    const earlier = unsettled.get(item.messageId);
    if (earlier) {
      unsettled.delete(item.messageId);
      log(
        `[${q.name}] message ${item.messageId} is delivered again (dequeue count ${item.dequeueCount}): its earlier attempt ${earlier} but could not be settled`,
      );
    }
    const where = `[${q.name}] message ${item.messageId}`;
    let outcome: 'succeeded' | 'failed';
    if (item.dequeueCount > settings.maxDequeueCount) {
      // as the real host: a message past its last attempt (its settle failed) goes to poison unprocessed
      outcome = 'failed';
      log(`${where} was dequeued ${item.dequeueCount} times, more than ${settings.maxDequeueCount}: moved to poison without running`);
    } else
      try {
        const metadata = { id: item.messageId, dequeueCount: item.dequeueCount, insertionTime: item.insertedOn };
        await q.handler(queueMessageBody(item.messageText), invocationContext(q.name, log, metadata));
        outcome = 'succeeded';
      } catch (e) {
        outcome = 'failed';
        log(`[${q.name}] attempt ${item.dequeueCount} of ${settings.maxDequeueCount} failed: ${message(e)}`);
      }
    try {
      if (outcome === 'succeeded') {
        await settleWithRetry(`${where}: delete`, () => client.deleteMessage(item.messageId, item.popReceipt), log);
      } else if (item.dequeueCount >= settings.maxDequeueCount) {
        const poison = service.getQueueClient(`${queueName(q.queueName)}-poison`);
        await settleWithRetry(
          `${where}: copy to poison`,
          async () => {
            await poison.createIfNotExists();
            await poison.sendMessage(item.messageText);
          },
          log,
        );
        await settleWithRetry(`${where}: delete`, () => client.deleteMessage(item.messageId, item.popReceipt), log);
        log(`${where} moved to ${queueName(q.queueName)}-poison`);
      } else {
        await settleWithRetry(
          `${where}: retry after visibilityTimeout`,
          () => client.updateMessage(item.messageId, item.popReceipt, undefined, settings.visibilityTimeoutSeconds),
          log,
        );
      }
    } catch (e) {
      unsettled.set(item.messageId, outcome);
      log(`${where}: could not be settled after its attempt ${outcome} (${message(e)}); it will be delivered again after its visibility timeout`);
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
