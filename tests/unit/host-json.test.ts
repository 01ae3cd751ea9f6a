import { readHostJson, parseHostJson } from '../../dev/host-json.js';

describe('host.json queue settings (local host)', () => {
  it("uses the real host's defaults when host.json sets nothing", () => {
    expect(parseHostJson('{"version": "2.0"}')).toEqual({ maxDequeueCount: 5, visibilityTimeoutSeconds: 0, maxPollingIntervalMs: 60_000 });
  });

  it('reads hh:mm:ss timespans', () => {
    const settings = parseHostJson(
      JSON.stringify({
        extensions: { queues: { maxDequeueCount: 3, visibilityTimeout: '01:02:03', maxPollingInterval: '00:00:02', messageEncoding: 'base64' } },
      }),
    );
    expect(settings).toEqual({ maxDequeueCount: 3, visibilityTimeoutSeconds: 3723, maxPollingIntervalMs: 2000 });
  });

  it('refuses a timespan that is not hh:mm:ss', () => {
    expect(() => parseHostJson('{"extensions": {"queues": {"visibilityTimeout": "30s"}}}')).toThrow("host.json: '30s' is not a hh:mm:ss timespan");
  });

  it('refuses a message encoding other than base64', () => {
    expect(() => parseHostJson('{"extensions": {"queues": {"messageEncoding": "none"}}}')).toThrow(/only implements messageEncoding base64/);
  });

  it('reads the shipped host.json: 5 attempts, 30 s before a retry, polling at least every 2 s', () => {
    expect(readHostJson('host.json')).toEqual({ maxDequeueCount: 5, visibilityTimeoutSeconds: 30, maxPollingIntervalMs: 2000 });
  });
});
