// The report `npm run oltp:check` prints: aligned columns, a status per check, the samples under
// the failing ones, and a summary that counts checks and rows by outcome.
import { formatCheckTable, printCheckTable, summaryLine } from '../../shared/oltp/check-report.js';
import { checkExitCode, formatSample, type CheckResult } from '../../shared/oltp/check-runner.js';

const result = (name: string, severity: CheckResult['severity'], failing: number, samples: string[] = []): CheckResult => ({
  name,
  severity,
  description: `${name} description`,
  failing,
  samples,
});

const RESULTS: CheckResult[] = [
  result('orphan_pedidos_cliente_id', 'blocking', 0),
  result('order_total_mismatch', 'blocking', 12, ['id=5, valor_total=0.0100']),
  result('future_timestamps', 'warning', 3, ['tabela=clientes, id=3', 'tabela=pedidos, id=9']),
  result('campaign_ends_before_start', 'warning', 0),
];

describe('OLTP check report', () => {
  it('prints one aligned line per check, samples under failing checks, then the summary', () => {
    expect(formatCheckTable(RESULTS).split('\n')).toEqual([
      'check                       severity  failing rows  status',
      '--------------------------  --------  ------------  ------',
      'orphan_pedidos_cliente_id   blocking             0  ok',
      'order_total_mismatch        blocking            12  FAIL',
      '    e.g. id=5, valor_total=0.0100',
      'future_timestamps           warning              3  WARN',
      '    e.g. tabela=clientes, id=3',
      '    e.g. tabela=pedidos, id=9',
      'campaign_ends_before_start  warning              0  ok',
      '',
      'FAILED: 4 checks, 2 passed, 1 blocking failed (12 rows), 1 warnings (3 rows)',
    ]);
    const written: string[] = [];
    printCheckTable(RESULTS, (text) => written.push(text));
    expect(written).toEqual([formatCheckTable(RESULTS)]);
  });

  it('passes when only warnings fail, and the CLI exits 1 only on a blocking failure', () => {
    const warningsOnly = RESULTS.filter((r) => r.severity === 'warning');
    expect(summaryLine(warningsOnly)).toBe('PASSED: 2 checks, 1 passed, 0 blocking failed (0 rows), 1 warnings (3 rows)');
    expect(checkExitCode(warningsOnly)).toBe(0);
    expect(checkExitCode(RESULTS)).toBe(1);
  });

  it('formats samples: dates without a midnight time, nulls as null', () => {
    const row = { id: 3, mes: new Date('2025-01-15T00:00:00.000Z'), updated_at: new Date('2025-01-15T10:20:30.400Z'), email: null };
    expect(formatSample(row)).toBe('id=3, mes=2025-01-15, updated_at=2025-01-15T10:20:30.400Z, email=null');
  });
});
