// The telemetry sink never fails or stalls a run: a client that throws is swallowed (one warning),
// a flush that never completes returns after its bound, and after one such flush the next ones
// wait only the short bound until a flush completes in time again. Errors lose their secrets.
import { clientSink, DEGRADED_FLUSH_TIMEOUT_MS, NO_TELEMETRY_SINK } from '../../shared/telemetry/app-insights.js';
import { EVENTS } from '../../shared/telemetry/events.js';
import { redact } from '../../shared/telemetry/redact.js';
import { errorOf } from '../../shared/telemetry/run-telemetry.js';

const warnings: string[] = [];
const log = { warn: (m: string) => void warnings.push(m) };
beforeEach(() => (warnings.length = 0));

describe('clientSink', () => {
  it('a client that throws on every call does not throw into the caller, and warns once', async () => {
    const boom = () => {
      throw new Error('endpoint refused the key');
    };
    const sink = clientSink({ trackEvent: boom, trackException: boom, trackMetric: boom, flush: () => Promise.reject(new Error('down')) }, log, 200);
    expect(() => sink.event(EVENTS.runStarted, { runId: 'r' })).not.toThrow();
    expect(() => sink.metric('PipelineRowsLoaded', 1, {})).not.toThrow();
    expect(() => sink.exception(new Error('x'), {})).not.toThrow();
    await expect(sink.flush()).resolves.toBeUndefined();
    expect(warnings.filter((w) => w.startsWith('telemetry call failed'))).toHaveLength(1);
  });

  it('a flush that never completes returns after its bound; later ones wait only the short bound until one completes again', async () => {
    let hang = true;
    const sink = clientSink(
      { trackEvent() {}, trackException() {}, trackMetric() {}, flush: () => (hang ? new Promise<void>(() => undefined) : Promise.resolve()) },
      log,
      1500,
    );
    let t = performance.now();
    await sink.flush();
    const first = performance.now() - t;
    expect(first).toBeGreaterThanOrEqual(1400);
    expect(first).toBeLessThan(3000);
    expect(warnings.filter((w) => w.startsWith('telemetry flush timed out'))).toHaveLength(1);
    t = performance.now();
    await sink.flush();
    const second = performance.now() - t;
    expect(second).toBeGreaterThanOrEqual(DEGRADED_FLUSH_TIMEOUT_MS - 100);
    expect(second).toBeLessThan(1400);
    hang = false;
    await sink.flush(); // completes in time: back to the full bound
    hang = true;
    t = performance.now();
    await sink.flush();
    expect(performance.now() - t).toBeGreaterThanOrEqual(1400);
  });

  it('events carry only the properties that are set', () => {
    const sent: unknown[] = [];
    const sink = clientSink({ trackEvent: (e) => void sent.push(e), trackException() {}, trackMetric() {}, flush: async () => undefined }, log);
    sink.event(EVENTS.runFailed, { runId: 'r', entity: undefined, final: 'true' }, { durationMs: 5, rowsRead: undefined });
    expect(sent).toEqual([{ name: 'PipelineRunFailed', properties: { runId: 'r', final: 'true' }, measurements: { durationMs: 5 } }]);
  });

  it('telemetry off: every call is a no-op', async () => {
    expect(NO_TELEMETRY_SINK.enabled).toBe(false);
    NO_TELEMETRY_SINK.event(EVENTS.runStarted, {});
    await expect(NO_TELEMETRY_SINK.flush()).resolves.toBeUndefined();
  });
});

describe('redact', () => {
  const env = {
    DW_CONNECTION_STRING: 'postgres://etl:Sup3r-Secret@db.example.com:5432/dw',
    AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0LWtleS12YWx1ZQ==;EndpointSuffix=core.windows.net',
  };

  it('removes the secret settings themselves, passwords in URLs and key=value credentials', () => {
    const text = [
      `connect to ${env.DW_CONNECTION_STRING} failed`,
      'Server=tcp:x.database.windows.net;User ID=etl;Password=Pa55word!;',
      'https://acct.blob.core.windows.net/raw?sv=2024&sig=AbCdEf%2B123&se=2026',
      'postgres://other:hunter22@10.0.0.1/db',
      'AccountKey=c2VjcmV0LWtleS12YWx1ZQ==',
    ].join('\n');
    const out = redact(text, env);
    for (const secret of ['Sup3r-Secret', 'Pa55word!', 'AbCdEf%2B123', 'hunter22', 'c2VjcmV0LWtleS12YWx1ZQ==']) expect(out).not.toContain(secret);
    expect(out).toContain('<DW_CONNECTION_STRING>');
    expect(out).toContain('Password=***');
    expect(out).toContain('postgres://other:***@10.0.0.1/db');
  });

  it('leaves ordinary error text alone', () => {
    const text = 'QualityGateError: quality gate failed (facts): fact_vendas_money_identities: observed 1 fact rows';
    expect(redact(text, env)).toBe(text);
  });

  it('errorOf gives the class and the redacted message', () => {
    const e = new TypeError(`bad url ${env.DW_CONNECTION_STRING}`);
    const prev = process.env.DW_CONNECTION_STRING;
    process.env.DW_CONNECTION_STRING = env.DW_CONNECTION_STRING;
    try {
      expect(errorOf(e)).toEqual({ error: 'TypeError: bad url <DW_CONNECTION_STRING>', errorClass: 'TypeError' });
    } finally {
      if (prev === undefined) delete process.env.DW_CONNECTION_STRING;
      else process.env.DW_CONNECTION_STRING = prev;
    }
  });
});
