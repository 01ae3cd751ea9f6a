// Transient failures (a deadlock victim, a dropped connection, a throttled storage request) are
// retried inside the invocation with backoff; anything else fails the step at once and the
// queue's dequeue count / poison queue takes over (see retry.ts). Every step is safe to repeat.
import { describeError } from '../db/transient.js';
import type { PipelineContext } from './context.js';
import { DEFAULT_RETRY, withRetry } from './retry.js';
import { errorText } from './run-audit.js';

export function retryStep<T>(
  ctx: PipelineContext,
  where: { runId: string; step: string; entity: string },
  operation: (attempt: number) => Promise<T>,
): Promise<T> {
  return withRetry(operation, {
    ...(ctx.retry ?? DEFAULT_RETRY),
    onRetry: ({ attempt, delayMs, error }) =>
      ctx.log.warn('transient error; retrying', { ...where, attempt, delayMs, ...describeError(error), error: errorText(error) }),
  });
}
