// Transient failures (a deadlock victim, a dropped connection, a throttled storage request) are
// retried inside the invocation with backoff; anything else fails the step at once and the
// queue's dequeue count / poison queue takes over (see retry.ts). Every step is safe to repeat.
import { describeError } from '../db/transient.js';
import type { PipelineContext } from './context.js';
import { DEFAULT_RETRY, withRetry } from './retry.js';
import { errorText } from './run-audit.js';
import { stepRetried } from '../telemetry/run-telemetry.js';

export function retryStep<T>(
  ctx: PipelineContext,
  where: { runId: string; kind: string; step: string; entity?: string },
  operation: (attempt: number) => Promise<T>,
): Promise<T> {
  const { kind, ...at } = where;
  return withRetry(operation, {
    ...(ctx.retry ?? DEFAULT_RETRY),
    onRetry: ({ attempt, delayMs, error }) => {
      ctx.log.warn('transient error; retrying', { ...at, attempt, delayMs, ...describeError(error), error: errorText(error) });
      stepRetried(
        ctx,
        { runId: where.runId, kind },
        { step: where.step, entity: where.entity, error, attempt, delayMs, reason: 'transient error: retried in the same invocation' },
      );
    },
  });
}
