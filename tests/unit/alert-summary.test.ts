import { alertSummaryLine, alertTimes, runPath, ALERT_ERROR_MAX_CHARS, type FinalFailureAlert } from '../../shared/alerts/alert.js';

// 03:04:05 UTC is 00:04:05 in São Paulo: UTC-3 all year (Brazil dropped daylight saving in 2019).
const alert: FinalFailureAlert = {
  job: 'daily-elt',
  runId: '20261130T030000Z-ab12',
  step: 'facts',
  entity: 'vendas',
  error: 'QualityGateError: fact_vendas_money_identities failed: 3 rows',
  check: 'fact_vendas_money_identities',
  at: new Date('2026-11-30T03:04:05Z'),
};

describe('final-failure alert summary line', () => {
  it('names job, run, step, entity, check, error, both times and the run path on one line', () => {
    const line = alertSummaryLine(alert);
    expect(line).toBe(
      'ALERT pipeline run failed: job=daily-elt run=20261130T030000Z-ab12 step=facts entity=vendas check=fact_vendas_money_identities ' +
        'error="QualityGateError: fact_vendas_money_identities failed: 3 rows" ' +
        'at 2026-11-30 03:04:05 UTC (2026-11-30 00:04:05 America/Sao_Paulo) details: /api/runs/20261130T030000Z-ab12',
    );
  });

  it('leaves out step, entity and check when the failure has none', () => {
    const line = alertSummaryLine({ job: 'backfill', runId: 'r1', error: 'Error: boom', at: alert.at });
    expect(line).toBe(
      'ALERT pipeline run failed: job=backfill run=r1 error="Error: boom" at 2026-11-30 03:04:05 UTC (2026-11-30 00:04:05 America/Sao_Paulo) details: /api/runs/r1',
    );
  });

  it('keeps a multi-line error on one line and caps a very long one', () => {
    const error = `TypeError: bad row\n    at load (facts.ts:1:1)\r\n\tat run (run.ts:2:2)\u2028${'x'.repeat(5000)}`;
    const line = alertSummaryLine({ ...alert, error });
    expect(line).not.toMatch(/[\n\r\t\u2028\u2029]/);
    expect(line).toContain('error="TypeError: bad row at load (facts.ts:1:1) at run (run.ts:2:2) xxx');
    const quoted = /error=("(?:[^"\\]|\\.)*")/.exec(line)![1]!;
    const shown = JSON.parse(quoted) as string;
    expect(shown.length).toBe(ALERT_ERROR_MAX_CHARS);
    expect(shown.endsWith('…')).toBe(true);
    expect(line.length).toBeLessThan(600);
    expect(line).toMatch(/ at 2026-11-30 03:04:05 UTC \(2026-11-30 00:04:05 America\/Sao_Paulo\) details: \/api\/runs\/20261130T030000Z-ab12$/);
  });

  it('quotes an error that contains quotes without ending the field early', () => {
    const line = alertSummaryLine({ ...alert, error: 'Error: column "valor" is null' });
    expect(line).toContain('error="Error: column \\"valor\\" is null" at ');
  });
});

describe('alert times', () => {
  it('gives São Paulo as UTC-3 in southern summer and winter alike, whatever the machine TZ', () => {
    expect(alertTimes(new Date('2026-01-15T02:30:00Z'))).toEqual({ utc: '2026-01-15 02:30:00 UTC', saoPaulo: '2026-01-14 23:30:00 America/Sao_Paulo' });
    expect(alertTimes(new Date('2026-07-15T12:00:00Z'))).toEqual({ utc: '2026-07-15 12:00:00 UTC', saoPaulo: '2026-07-15 09:00:00 America/Sao_Paulo' });
  });

  it('writes midnight as 00, not 24', () => {
    expect(alertTimes(new Date('2026-11-30T03:00:00Z')).saoPaulo).toBe('2026-11-30 00:00:00 America/Sao_Paulo');
  });
});

describe('run path', () => {
  it('encodes the run id', () => {
    expect(runPath('a b/c?d')).toBe('/api/runs/a%20b%2Fc%3Fd');
  });
});
