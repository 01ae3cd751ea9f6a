// Runs quality checks and turns each outcome into a result with its status and duration, in the
// order the checks were given: one after the other, or up to `concurrent` at once, the slow ones
// (QualityCheck.startsFirst) first. The gates and `dw:check` ask for CONCURRENT_CHECKS when they
// run on connection pools outside a transaction (the whole-warehouse phase; concurrencyFor);
// inside a load (its transaction) and on PGlite (one connection) nothing would overlap
// (concurrency.ts). A check that throws is recorded as 'error' with its message: it blocks like a
// failure, because a check that cannot run has not shown the data to be right.
import { errorText } from '../pipeline/run-audit.js';
import { MAX_SAMPLES, statusOf, type CheckInput, type CheckResult, type QualityCheck } from './check.js';
import { CONCURRENT_CHECKS, onPools, runBounded } from './concurrency.js';

/** How many checks may run at once on these connections: CONCURRENT_CHECKS on pools, else 1. */
export const concurrencyFor = (input: Pick<CheckInput, 'dw' | 'oltp'>): number => (onPools(input.dw, input.oltp) ? CONCURRENT_CHECKS : 1);

/** How long each runChecks call took from its first check's start to its last one's end. */
const elapsed = new WeakMap<readonly CheckResult[], number>();

/**
 * The time a set of results took to produce: the elapsed time of the runChecks call that returned
 * them (less than the sum of their durations when they ran at the same time), else that sum.
 */
export const elapsedMs = (results: readonly CheckResult[]): number => elapsed.get(results) ?? results.reduce((n, r) => n + r.ms, 0);

async function runOne(check: QualityCheck, input: CheckInput): Promise<CheckResult> {
  const started = performance.now();
  const base = { name: check.name, severity: check.severity, phase: check.phase };
  try {
    const o = await check.run(input);
    const ms = Math.round(performance.now() - started);
    return {
      ...base,
      status: statusOf(check, o.failing),
      failing: o.failing,
      observed: o.observed,
      expected: o.expected,
      samples: o.samples.slice(0, MAX_SAMPLES),
      ms,
    };
  } catch (e) {
    const ms = Math.round(performance.now() - started);
    return { ...base, status: 'error', failing: 0, observed: `could not run: ${errorText(e)}`, expected: 'the check runs', samples: [], ms };
  }
}

export async function runChecks(checks: readonly QualityCheck[], input: CheckInput, concurrent = 1): Promise<CheckResult[]> {
  const started = performance.now();
  const indices = checks.map((_, i) => i);
  // the slow ones first, each group in catalogue order (sort is stable)
  const start = concurrent > 1 ? indices.sort((a, b) => Number(checks[b]!.startsFirst ?? false) - Number(checks[a]!.startsFirst ?? false)) : indices;
  const together = { ...input, concurrent: concurrent > 1 };
  const results = await runBounded(checks, concurrent, (check) => runOne(check, together), start);
  elapsed.set(results, Math.round(performance.now() - started));
  return results;
}

/** Results that block publication: a blocking check over its tolerance, or any check that could not run. */
export const blockingFailures = (results: readonly CheckResult[]): CheckResult[] => results.filter((r) => r.status === 'failed' || r.status === 'error');

/** The CLI's exit code: 1 when anything blocks, 0 otherwise (warnings only print). */
export const qualityExitCode = (results: readonly CheckResult[]): 0 | 1 => (blockingFailures(results).length > 0 ? 1 : 0);
