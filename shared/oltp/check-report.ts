// The printed report of `npm run oltp:check`: one line per check (check, severity, failing rows,
// status), the samples under each failing check, and a one-line summary.
import type { CheckResult } from './check-runner.js';

const status = (r: CheckResult) => (r.failing === 0 ? 'ok' : r.severity === 'blocking' ? 'FAIL' : 'WARN');

export function formatCheckTable(results: readonly CheckResult[]): string {
  const header = ['check', 'severity', 'failing rows', 'status'] as const;
  const rows = results.map((r) => [r.name, r.severity, String(r.failing), status(r)] as const);
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(width[i]!) : c.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(width.map((w) => '-'.repeat(w)))];
  results.forEach((r, i) => {
    out.push(line(rows[i]!));
    for (const s of r.samples) out.push(`    e.g. ${s}`);
  });
  out.push('', summaryLine(results));
  return out.join('\n');
}

export function summaryLine(results: readonly CheckResult[]): string {
  const failed = results.filter((r) => r.failing > 0 && r.severity === 'blocking');
  const warned = results.filter((r) => r.failing > 0 && r.severity === 'warning');
  const rows = (list: CheckResult[]) => list.reduce((n, r) => n + r.failing, 0);
  const passed = results.length - failed.length - warned.length;
  return (
    `${failed.length > 0 ? 'FAILED' : 'PASSED'}: ${results.length} checks, ${passed} passed, ` +
    `${failed.length} blocking failed (${rows(failed)} rows), ${warned.length} warnings (${rows(warned)} rows)`
  );
}

export function printCheckTable(results: readonly CheckResult[], write: (text: string) => void = console.log): void {
  write(formatCheckTable(results));
}
