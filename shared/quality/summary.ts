// One line of counts for a set of check results: the run report's `quality` entry, logs and the
// pipeline command's output.
import type { CheckResult, CheckStatus } from './check.js';
import { elapsedMs } from './runner.js';

export interface QualitySummary {
  checks: number;
  passed: number;
  warned: number;
  failed: number;
  errors: number;
  /** names of the checks that warned, failed or could not run */
  attention: string[];
  /** how long the checks took: the gate's elapsed time (checks of the whole-warehouse phase run at the same time on pools) */
  ms: number;
}

export function qualitySummary(results: readonly CheckResult[]): QualitySummary {
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  return {
    checks: results.length,
    passed: count('passed'),
    warned: count('warned'),
    failed: count('failed'),
    errors: count('error'),
    attention: results.filter((r) => r.status !== 'passed').map((r) => `${r.name} (${r.status})`),
    ms: elapsedMs(results),
  };
}
