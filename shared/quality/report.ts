// The printed quality report: the table of `npm run dw:check` (check, phase, severity, status,
// observed, expected, samples under a failing check) and the check summary of a run's report.
import type { CheckResult } from './check.js';
import { blockingFailures } from './runner.js';
import { qualitySummary } from './summary.js';

const STATUS = { passed: 'ok', warned: 'WARN', failed: 'FAIL', error: 'ERROR' } as const;

export function formatQualityTable(results: readonly CheckResult[]): string {
  const head = ['check', 'phase', 'severity', 'status', 'observed', 'expected'];
  const rows = results.map((r) => [r.name, r.phase, r.severity, STATUS[r.status], r.observed, r.expected]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w)))];
  results.forEach((r, i) => {
    out.push(line(rows[i]!));
    if (r.status !== 'passed') for (const s of r.samples) out.push(`    e.g. ${s}`);
  });
  out.push('', summaryLine(results));
  return out.join('\n');
}

export function summaryLine(results: readonly CheckResult[]): string {
  const s = qualitySummary(results);
  const verdict = blockingFailures(results).length > 0 ? 'FAILED' : 'PASSED';
  return `${verdict}: ${s.checks} checks, ${s.passed} passed, ${s.warned} warnings, ${s.failed} failed, ${s.errors} could not run (${s.ms} ms)`;
}

/** The lines a run report prints about its checks: the summary, then every check that did not pass. */
export function formatQualityLines(results: readonly CheckResult[]): string[] {
  if (results.length === 0) return [];
  const out = [`quality: ${summaryLine(results)}`];
  for (const r of results.filter((x) => x.status !== 'passed'))
    out.push(
      `  ${STATUS[r.status]} ${r.name} (${r.phase}): observed ${r.observed}, expected ${r.expected}${r.samples.length ? `; e.g. ${r.samples.slice(0, 3).join(' | ')}` : ''}`,
    );
  return out;
}
