// Queue messages between the pipeline's steps. Validated with zod on receipt: a malformed
// message is a permanent error (it goes to the poison queue with its reason), never retried
// forever. Messages are JSON objects, sent base64-encoded as the Functions host expects.
import { z } from 'zod';

export const QUEUES = {
  dimensions: 'load-dimensions',
  facts: 'load-facts',
} as const;

export const batchRefSchema = z.object({ entity: z.string().min(1), manifestPath: z.string().min(1) });

export const loadMessageSchema = z.object({
  runId: z.string().min(1).max(40),
  kind: z.enum(['daily', 'backfill']),
  batches: z.array(batchRefSchema),
});

export type LoadMessage = z.infer<typeof loadMessageSchema>;

export class InvalidMessageError extends Error {
  constructor(readonly reason: string) {
    super(`invalid queue message: ${reason}`);
    this.name = 'InvalidMessageError';
  }
}

/** Accepts what the Functions runtime hands a queue handler (already JSON-parsed, or a string). */
export function parseLoadMessage(body: unknown): LoadMessage {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      throw new InvalidMessageError('not JSON');
    }
  }
  const parsed = loadMessageSchema.safeParse(value);
  if (!parsed.success) throw new InvalidMessageError(parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; '));
  return parsed.data;
}

/**
 * For queue handlers: the validated message, or the InvalidMessageError rethrown after logging
 * its reason (every attempt fails the same way, so the host moves it to <queue>-poison).
 */
export function receiveLoadMessage(body: unknown, log: { error(message: string, props?: Record<string, unknown>): void }, dequeueCount: unknown): LoadMessage {
  try {
    return parseLoadMessage(body);
  } catch (e) {
    if (e instanceof InvalidMessageError) log.error('malformed message: it will go to the poison queue', { reason: e.reason, dequeueCount });
    throw e;
  }
}
