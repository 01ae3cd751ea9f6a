// Retry an operation on transient errors, with exponential backoff and full jitter.
//
//   const rows = await withRetry((attempt) => loadBatch(batch), {
//     ...DEFAULT_RETRY,
//     onRetry: ({ attempt, delayMs, error }) => log.warn('retrying', { attempt, delayMs, ...describeError(error) }),
//   });
//
// - Only errors isTransient() accepts are retried (default: shared/db/transient.ts, which reads
//   SQLSTATE / SQL Server numbers / HTTP status / socket codes). A permanent error is rethrown at
//   once, unchanged, so callers see the real driver error.
// - Delay before retry n (n = the attempt that just failed, 1-based) is
//   random() * min(maxDelayMs, baseDelayMs * 2^(n-1)): "full jitter" (AWS Architecture Blog,
//   "Exponential Backoff And Jitter"), which spreads competing clients — e.g. two loads that
//   deadlocked each other — instead of making them collide again in lockstep.
// - When the last attempt fails transiently, RetriesExhaustedError is thrown with `.attempts` and
//   `cause` = the last error. It is NOT transient (shared/db/transient.ts NOT_RETRYABLE), so an
//   outer withRetry does not multiply the attempts and the queue's dequeue count (host.json
//   maxDequeueCount, then the poison queue) or the next scheduled run takes over.
// Operations must be safe to repeat: every load is an idempotent upsert (DESIGN §4.3) and a
// failed transaction changes nothing (§4.2), so re-running one after a transient failure is safe.
import { setTimeout as delay } from 'node:timers/promises';
import { isTransient as defaultIsTransient, NOT_RETRYABLE } from '../db/transient.js';

export interface RetryInfo {
  /** the attempt that just failed (1-based) */
  attempt: number;
  /** how long withRetry waits before the next attempt */
  delayMs: number;
  error: unknown;
}

export interface RetryOptions {
  /** total attempts, including the first (>= 1) */
  attempts: number;
  /** cap of the first backoff; doubles with every failed attempt */
  baseDelayMs: number;
  /** upper bound of any single backoff */
  maxDelayMs: number;
  /** which errors are worth retrying (default: shared/db/transient.ts isTransient) */
  isTransient?: (error: unknown) => boolean;
  /** called before each wait, e.g. to log the retry */
  onRetry?: (info: RetryInfo) => void;
  /** uniform in [0, 1) (default Math.random); injected by tests */
  random?: () => number;
  /** waits ms milliseconds (default a timer); injected by tests */
  sleep?: (ms: number) => Promise<void>;
}

/** 4 attempts; waits of at most 0.5 s, 1 s, 2 s between them (3.5 s worst case in total). */
export const DEFAULT_RETRY = { attempts: 4, baseDelayMs: 500, maxDelayMs: 10_000 } as const satisfies RetryOptions;

/** The last transient error, after every attempt failed. Not itself transient. */
export class RetriesExhaustedError extends Error {
  readonly [NOT_RETRYABLE] = true;

  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`Gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RetriesExhaustedError';
  }
}

/** The cap of the backoff after `attempt` failed: min(maxDelayMs, baseDelayMs * 2^(attempt-1)). */
export function backoffCap(attempt: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>): number {
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
}

export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { attempts, baseDelayMs, maxDelayMs } = options;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be an integer >= 1, got ${attempts}`);
  if (!(baseDelayMs >= 0) || !(maxDelayMs >= 0)) throw new RangeError(`delays must be >= 0, got base ${baseDelayMs}, max ${maxDelayMs}`);
  const transient = options.isTransient ?? defaultIsTransient;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));

  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!transient(error)) throw error;
      if (attempt >= attempts) throw new RetriesExhaustedError(attempt, error);
      const delayMs = Math.floor(random() * backoffCap(attempt, options));
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
