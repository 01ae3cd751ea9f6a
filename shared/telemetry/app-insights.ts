// The Application Insights sink: one TelemetryClient of the applicationinsights 3.x SDK with its
// own OpenTelemetry providers (useGlobalProviders: false), so the Functions host's telemetry and
// any global instrumentation are left alone. It exists only when
// APPLICATIONINSIGHTS_CONNECTION_STRING is set; otherwise every call is a no-op and the SDK is
// never loaded (it costs ~1.5 s and ~30 MB to import). Telemetry must never fail or stall a run:
// every call swallows its errors, and a flush waits at most FLUSH_TIMEOUT_MS (the SDK itself
// retries a dead endpoint for several seconds and keeps what it could not send on disk).
import type { EventMeasurements, EventName, EventProperties, MetricName } from './events.js';
import type { Logger } from './logger.js';
import { ingestionCredential } from './aad-credential.js';

export interface TelemetrySink {
  readonly enabled: boolean;
  event<E extends EventName>(name: E, properties: EventProperties<E>, measurements?: EventMeasurements<E>): void;
  /** properties left undefined are not sent */
  exception(error: unknown, properties: Record<string, string | undefined>): void;
  metric(name: MetricName, value: number, properties: Record<string, string>): void;
  /** sends what is queued; resolves within FLUSH_TIMEOUT_MS whatever the endpoint does */
  flush(): Promise<void>;
}

export const FLUSH_TIMEOUT_MS = 3000;

export const NO_TELEMETRY_SINK: TelemetrySink = {
  enabled: false,
  event() {},
  exception() {},
  metric() {},
  flush: async () => undefined,
};

// the subset of the SDK's TelemetryClient this sink calls
interface Client {
  trackEvent(t: { name: string; properties?: Record<string, string>; measurements?: Record<string, number> }): void;
  trackException(t: { exception: Error; properties?: Record<string, string> }): void;
  trackMetric(t: { name: string; value: number; properties?: Record<string, string> }): void;
  flush(): Promise<void>;
}

const defined = <T>(o: Record<string, T | undefined>): Record<string, T> =>
  Object.fromEntries(Object.entries(o).filter((e): e is [string, T] => e[1] !== undefined));

/** After a flush timed out, later ones wait this long at most until one completes in time again. */
export const DEGRADED_FLUSH_TIMEOUT_MS = 500;

/** True when `p` settled within `ms`; never rejects. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}

export function clientSink(client: Client, log: Pick<Logger, 'warn'>, flushTimeoutMs = FLUSH_TIMEOUT_MS): TelemetrySink {
  let warned = false;
  // an endpoint that is down makes every flush wait its full bound: once one has, a run's later
  // handlers wait only DEGRADED_FLUSH_TIMEOUT_MS (the SDK keeps the rest on disk and retries later)
  let degraded = false;
  // one warning per process: a broken endpoint must not flood the log either
  const guard = (what: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      if (!warned) log.warn('telemetry call failed; the run goes on without it', { what, error: e instanceof Error ? e.message : String(e) });
      warned = true;
    }
  };
  return {
    enabled: true,
    event: (name, properties, measurements) =>
      guard(name, () => client.trackEvent({ name, properties: defined(properties), measurements: defined(measurements ?? {}) })),
    exception: (error, properties) =>
      guard('exception', () =>
        client.trackException({ exception: error instanceof Error ? error : new Error(String(error)), properties: defined(properties) }),
      ),
    metric: (name, value, properties) => guard(name, () => client.trackMetric({ name, value, properties })),
    flush: async () => {
      const inTime = await within(
        Promise.resolve().then(() => client.flush()),
        degraded ? Math.min(flushTimeoutMs, DEGRADED_FLUSH_TIMEOUT_MS) : flushTimeoutMs,
      );
      if (!inTime && !degraded) log.warn('telemetry flush timed out: the endpoint is slow or down; the run goes on without waiting for it');
      degraded = !inTime;
    },
  };
}

/**
 * The SDK's client for a connection string, isolated from global providers. `authentication`
 * (APPLICATIONINSIGHTS_AUTHENTICATION_STRING) makes it send with the managed identity's token:
 * the way in once the component's local (key) authentication is disabled.
 */
export async function createClient(connectionString: string, authentication: string | undefined) {
  // a CommonJS package: Node's ESM loader exposes its exports as named ones, other loaders under default
  const sdk = (await import('applicationinsights')) as typeof import('applicationinsights') & { default?: typeof import('applicationinsights') };
  const TelemetryClient = sdk.TelemetryClient ?? sdk.default?.TelemetryClient;
  const client = new TelemetryClient(connectionString, { useGlobalProviders: false });
  const credential = await ingestionCredential(authentication);
  if (credential) client.config.aadTokenCredential = credential;
  client.initialize();
  return client;
}

let sink: Promise<TelemetrySink> | undefined;

/**
 * This process's sink, created on first use from APPLICATIONINSIGHTS_CONNECTION_STRING (the
 * setting the Functions platform and the SDK both use). A connection string the SDK refuses
 * turns telemetry off with a warning; it never stops the app.
 */
export function telemetrySink(log: Pick<Logger, 'warn'>): Promise<TelemetrySink> {
  sink ??= (async () => {
    const connectionString = process.env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
    if (!connectionString) return NO_TELEMETRY_SINK;
    try {
      return clientSink(await createClient(connectionString, process.env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING), log);
    } catch (e) {
      log.warn('Application Insights telemetry is off: the client could not be created', { error: e instanceof Error ? e.message : String(e) });
      return NO_TELEMETRY_SINK;
    }
  })();
  return sink;
}

/** Flushes this process's sink if one was created (the handlers call it before they return). */
export async function flushTelemetry(): Promise<void> {
  if (sink) await (await sink).flush();
}
