// Storage queues between the steps. Messages are base64-encoded JSON: the Functions host's
// default messageEncoding is base64, and a plain-text producer would send everything to poison.
import type { QueueServiceClient } from '@azure/storage-queue';
import type { StorageAccount } from './storage-account.js';
import { queueService } from './storage-clients.js';

export const encodeMessage = (message: object): string => Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
export const decodeMessage = (text: string): unknown => JSON.parse(Buffer.from(text, 'base64').toString('utf8'));

export class QueueSender {
  /** nameFor maps a logical queue name to the real one (tests isolate their queues this way) */
  constructor(
    readonly service: QueueServiceClient,
    readonly nameFor: (queue: string) => string = (q) => q,
  ) {}

  /**
   * The queues of the configured account (connection string or identity: storage-account.ts
   * decides), with bounded SDK retries (storage-options.ts): an unreachable queue fails the step
   * in seconds, and the step retries.
   */
  static fromStorageAccount(account: StorageAccount): QueueSender {
    return new QueueSender(queueService(account));
  }

  /** `delaySeconds`: the message stays invisible that long (storage queues allow up to 7 days) */
  async send(queueName: string, message: object, options: { delaySeconds?: number } = {}): Promise<void> {
    const queue = this.service.getQueueClient(this.nameFor(queueName));
    await queue.createIfNotExists();
    await queue.sendMessage(encodeMessage(message), options.delaySeconds ? { visibilityTimeout: options.delaySeconds } : undefined);
  }
}
