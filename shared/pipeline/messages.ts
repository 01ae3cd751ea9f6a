// Queue messages between the pipeline's steps. Validated with zod on receipt: a malformed
// message is a permanent error (it goes to the poison queue with its reason), never retried
// forever. Messages are JSON objects, sent base64-encoded as the Functions host expects.
import { z } from 'zod';
import { ENTITIES } from './entities.js';

export const QUEUES = {
  dimensions: 'load-dimensions',
  facts: 'load-facts',
  /** a daily trigger that found a live run holding the lease tries again later the same day */
  extractRetry: 'extract-retry',
  /** a backfill accepted by POST /api/backfill (its run holds the lease): the extract runs from here */
  backfillExtract: 'backfill-extract',
} as const;

export const batchRefSchema = z.object({ entity: z.string().min(1), manifestPath: z.string().min(1) });

// run ids are generated (newRunId): letters, digits and '-' only, so one never reads as a pattern
const runIdSchema = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[A-Za-z0-9-]+$/, 'letters, digits and - only');

export const loadMessageSchema = z.object({
  runId: runIdSchema,
  kind: z.enum(['daily', 'backfill']),
  batches: z.array(batchRefSchema),
});

export type LoadMessage = z.infer<typeof loadMessageSchema>;

/**
 * host.json's extensions.queues.maxDequeueCount: the attempt with this dequeue count is a load
 * message's last (tests/integration/local-host.test.ts checks the two agree).
 */
export const MAX_DEQUEUE_COUNT = 5;

/** Which delivery of its message a queue-triggered step is (the trigger's dequeueCount). */
export interface Delivery {
  dequeueCount: number;
  maxDequeueCount: number;
}

export function deliveryOf(dequeueCount: unknown): Delivery {
  const n = Number(dequeueCount);
  return { dequeueCount: Number.isInteger(n) && n > 0 ? n : 1, maxDequeueCount: MAX_DEQUEUE_COUNT };
}

/**
 * A well-formed message the pipeline will not honour: its run does not exist, is not the run
 * holding the pipeline lease, has not finished its extract, or the batches are not the ones the
 * run recorded. Refused before anything is written (lease and etl.run untouched); every attempt is
 * refused the same way, so the host moves it to <queue>-poison.
 */
export class RefusedMessageError extends Error {
  constructor(
    readonly runId: string,
    readonly reason: string,
  ) {
    super(`message for run ${runId} refused: ${reason}`);
    this.name = 'RefusedMessageError';
  }
}

export class InvalidMessageError extends Error {
  constructor(readonly reason: string) {
    super(`invalid queue message: ${reason}`);
    this.name = 'InvalidMessageError';
  }
}

/** Accepts what the Functions runtime hands a queue handler (already JSON-parsed, or a string) and validates it. */
function parseMessage<T>(schema: z.ZodType<T>, body: unknown): T {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      throw new InvalidMessageError('not JSON');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidMessageError(parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; '));
  return parsed.data;
}

export function parseLoadMessage(body: unknown): LoadMessage {
  return parseMessage(loadMessageSchema, body);
}

/**
 * For queue handlers: the validated message, or the InvalidMessageError rethrown after logging
 * its reason (every attempt fails the same way, so the host moves it to <queue>-poison).
 */
export function receiveLoadMessage(body: unknown, log: MessageLog, dequeueCount: unknown): LoadMessage {
  return received(parseLoadMessage, body, log, dequeueCount);
}

type MessageLog = { error(message: string, props?: Record<string, unknown>): void };

function received<T>(parse: (body: unknown) => T, body: unknown, log: MessageLog, dequeueCount: unknown): T {
  try {
    return parse(body);
  } catch (e) {
    if (e instanceof InvalidMessageError) log.error('malformed message: it will go to the poison queue', { reason: e.reason, dequeueCount });
    throw e;
  }
}

/** A daily trigger postponed because a live run held the pipeline lease. */
export const extractRetrySchema = z.object({
  /** when the original trigger fired: retries stop at the end of that UTC day (the next timer takes over) */
  firstTriggerAt: z.iso.datetime(),
  attempt: z.number().int().min(1).max(1000),
});

export type ExtractRetryMessage = z.infer<typeof extractRetrySchema>;

export function parseExtractRetry(body: unknown): ExtractRetryMessage {
  return parseMessage(extractRetrySchema, body);
}

/**
 * When a postponed daily trigger should try again: a minute after the live run's lease would
 * expire (it is renewed while the run works, so this is about one lease period), at least one
 * minute and at most 30 minutes away; null when that falls on another UTC day than the first
 * trigger (the next day's timer runs then anyway).
 */
export function extractRetryDelaySeconds(firstTriggerAt: Date, leaseExpiresAt: Date | null, now = new Date()): number | null {
  const target = (leaseExpiresAt?.getTime() ?? now.getTime()) + 60_000;
  const seconds = Math.min(30 * 60, Math.max(60, Math.ceil((target - now.getTime()) / 1000)));
  const at = new Date(now.getTime() + seconds * 1000);
  return at.toISOString().slice(0, 10) === firstTriggerAt.toISOString().slice(0, 10) ? seconds : null;
}

const ENTITY_NAMES = ENTITIES.map((e) => e.name) as [string, ...string[]];

/**
 * A backfill POST /api/backfill accepted: its run (kind backfill, running) holds the pipeline
 * lease; the backfill-extract function extracts this window of these entities for it.
 */
export const backfillExtractSchema = z
  .strictObject({
    runId: runIdSchema,
    kind: z.literal('backfill'),
    window: z.strictObject({ from: z.iso.datetime(), to: z.iso.datetime() }),
    entities: z.array(z.enum(ENTITY_NAMES)).min(1),
    /** when the request was accepted: the run's start, and the date of its batch folders */
    requestedAt: z.iso.datetime(),
  })
  .refine((m) => Date.parse(m.window.from) < Date.parse(m.window.to), { message: 'window.from must be before window.to', path: ['window'] });

export type BackfillExtractMessage = z.infer<typeof backfillExtractSchema>;

export function parseBackfillExtract(body: unknown): BackfillExtractMessage {
  return parseMessage(backfillExtractSchema, body);
}

/** receiveLoadMessage for a backfill-extract message. */
export function receiveBackfillExtract(body: unknown, log: MessageLog, dequeueCount: unknown): BackfillExtractMessage {
  return received(parseBackfillExtract, body, log, dequeueCount);
}
