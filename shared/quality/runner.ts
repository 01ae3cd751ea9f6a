// Runs quality checks one after the other (PGlite has one connection; inside a load they share
// its transaction) and turns each outcome into a result with its status and duration. A check
// that throws is recorded as 'error' with its message: it blocks like a failure, because a check
// that cannot run has not shown the data to be right.
import { errorText } from '../pipeline/run-audit.js';
import { MAX_SAMPLES, statusOf, type CheckInput, type CheckResult, type QualityCheck } from './check.js';

export async function runChecks(checks: readonly QualityCheck[], input: CheckInput): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const started = performance.now();
    const base = { name: check.name, severity: check.severity, phase: check.phase };
    try {
      const o = await check.run(input);
      const ms = Math.round(performance.now() - started);
      results.push({
        ...base,
        status: statusOf(check, o.failing),
        failing: o.failing,
        observed: o.observed,
        expected: o.expected,
        samples: o.samples.slice(0, MAX_SAMPLES),
        ms,
      });
    } catch (e) {
      const ms = Math.round(performance.now() - started);
      results.push({ ...base, status: 'error', failing: 0, observed: `could not run: ${errorText(e)}`, expected: 'the check runs', samples: [], ms });
    }
  }
  return results;
}

/** Results that block publication: a blocking check over its tolerance, or any check that could not run. */
export const blockingFailures = (results: readonly CheckResult[]): CheckResult[] => results.filter((r) => r.status === 'failed' || r.status === 'error');

/** The CLI's exit code: 1 when anything blocks, 0 otherwise (warnings only print). */
export const qualityExitCode = (results: readonly CheckResult[]): 0 | 1 => (blockingFailures(results).length > 0 ? 1 : 0);
