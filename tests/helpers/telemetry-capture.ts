// A Telemetry that records what the pipeline would send (events, metrics, exceptions), the alert
// lines it logs and the chat alerts it would post, for tests that drive the pipeline in-process.
import type { FinalFailureAlert } from '../../shared/alerts/alert.js';
import type { TelemetrySink } from '../../shared/telemetry/app-insights.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { Telemetry } from '../../shared/telemetry/run-telemetry.js';

export interface Captured {
  telemetry: Telemetry;
  log: Logger;
  events: { name: string; properties: Record<string, string | undefined>; measurements: Record<string, number | undefined> }[];
  metrics: { name: string; value: number; properties: Record<string, string> }[];
  exceptions: { error: unknown; properties: Record<string, string | undefined> }[];
  alertLines: string[];
  posts: FinalFailureAlert[];
  named(name: string): Captured['events'];
}

export function captureTelemetry(): Captured {
  const c: Omit<Captured, 'telemetry' | 'log' | 'named'> = { events: [], metrics: [], exceptions: [], alertLines: [], posts: [] };
  const sink: TelemetrySink = {
    enabled: true,
    event: (name, properties, measurements) => void c.events.push({ name, properties: { ...properties }, measurements: { ...measurements } }),
    exception: (error, properties) => void c.exceptions.push({ error, properties }),
    metric: (name, value, properties) => void c.metrics.push({ name, value, properties }),
    flush: async () => undefined,
  };
  const telemetry: Telemetry = {
    sink,
    teams: {
      notify: async (a) => {
        c.posts.push(a);
        return 'sent';
      },
    },
  };
  const log: Logger = { info() {}, warn() {}, error() {}, alert: (line) => void c.alertLines.push(line) };
  return { ...c, telemetry, log, named: (name) => c.events.filter((e) => e.name === name) };
}
