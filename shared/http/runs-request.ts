// The inputs of GET /api/runs and GET /api/runs/{id}, checked before any query: a run id must
// have the form newRunId (shared/pipeline/run-audit.ts) gives it, and `limit` must appear at
// most once with a value.
import { BadRequestError } from '../pipeline/bad-request.js';
import { parseRunsLimit, RUNS_LIMIT } from '../pipeline/run-report.js';

/**
 * A run id: its UTC start without separators, a dash and up to 6 hex digits
 * (20261130T101500123Z-1a2b3c; fewer digits when Math.random's hex happens to be short).
 */
export const RUN_ID_FORMAT = /^\d{8}T\d{9}Z-[0-9a-f]{1,6}$/;

/** Throws BadRequestError when `id` cannot be a run id; quotes at most 40 characters of it, escaped. */
export function checkRunId(id: string): void {
  if (!RUN_ID_FORMAT.test(id)) {
    throw new BadRequestError(`run id ${JSON.stringify(id.slice(0, 40))} is not of the form 20261130T101500123Z-1a2b3c`);
  }
}

/** `limit` of GET /api/runs: absent = the default; empty or repeated is refused (a caller who sends two meant something). */
export function runsLimit(query: URLSearchParams): number {
  const values = query.getAll('limit');
  if (values.length > 1) throw new BadRequestError(`limit must be given once; got it ${values.length} times`);
  if (values.length === 1 && values[0]!.trim() === '')
    throw new BadRequestError(`limit must be a whole number from 1 to ${RUNS_LIMIT.max}; got an empty value`);
  return parseRunsLimit(values[0] ?? null);
}
