// What a run tells the outside world, on top of its etl.run rows: the custom events and metrics
// of the telemetry contract (events.ts) and, when a failure is final, the alert (a one-line
// summary in the log, and the Teams message when ALERT_TEAMS_WEBHOOK_URL is set). A failure the
// queue or an in-process retry will repeat is only a PipelineStepRetried: PipelineRunFailed is
// sent once per run, when nothing will retry it, so an alert on it pages once.
// Everything here is best effort: it never throws into the pipeline.
import { alertSummaryLine, type FinalFailureAlert } from '../alerts/alert.js';
import type { TeamsNotifier } from '../alerts/teams-notifier.js';
import { readClock } from '../db/portable-sql.js';
import type { Database } from '../db/database.js';
import type { OltpTables, WarehouseTables } from '../db/schema/index.js';
import { QualityGateError } from '../quality/gate.js';
import { newestWatermark } from '../quality/load-health-checks.js';
import { blockingFailures } from '../quality/runner.js';
import { errorText } from '../pipeline/run-audit.js';
import { NO_TELEMETRY_SINK, type TelemetrySink } from './app-insights.js';
import { EVENTS, jobOf, METRICS, type EventMeasurements } from './events.js';
import type { Logger } from './logger.js';
import { redact } from './redact.js';

export interface Telemetry {
  sink: TelemetrySink;
  teams: TeamsNotifier;
}

export const NO_TELEMETRY: Telemetry = { sink: NO_TELEMETRY_SINK, teams: { notify: async () => 'skipped' } };

/** What the telemetry calls need from the pipeline context. */
export interface TelemetryScope {
  log: Logger;
  telemetry?: Telemetry;
}

/** The run an event is about. */
export interface RunRef {
  runId: string;
  kind: string;
  startedAt?: Date;
}

export interface Counts {
  durationMs?: number;
  rowsRead?: number;
  rowsLoaded?: number;
  rowsRejected?: number;
}

const sinkOf = (scope: TelemetryScope) => (scope.telemetry ?? NO_TELEMETRY).sink;

const runProperties = (run: RunRef) => ({
  job: jobOf(run.kind),
  runId: run.runId,
  kind: run.kind,
  startedAt: run.startedAt?.toISOString(),
});

/** The error as telemetry and alerts carry it: class and message, secrets removed. */
export function errorOf(error: unknown): { error: string; errorClass: string } {
  return { error: redact(errorText(error)).slice(0, 2000), errorClass: error instanceof Error ? error.name : typeof error };
}

/** The failing checks of a quality gate error (names, comma-separated), or undefined. */
const failedChecks = (e: unknown): string | undefined =>
  e instanceof QualityGateError
    ? blockingFailures(e.results)
        .map((r) => r.name)
        .join(', ') || undefined
    : undefined;

export function runStarted(scope: TelemetryScope, run: RunRef, attempt?: number): void {
  sinkOf(scope).event(EVENTS.runStarted, { ...runProperties(run), attempt: attempt?.toString() });
}

export interface StepDone extends Counts {
  step: 'extract' | 'dimensions' | 'facts';
  entity: string;
  rowsInserted?: number;
  rowsUpdated?: number;
}

/** One step of one entity finished; a load step also records its rows as metrics. */
export function stepCompleted(scope: TelemetryScope, run: RunRef, done: StepDone): void {
  const sink = sinkOf(scope);
  const { step, entity, ...measurements } = done;
  sink.event(EVENTS.stepCompleted, { ...runProperties(run), step, entity }, measurements);
  if (step === 'extract') return;
  const props = { job: jobOf(run.kind), runId: run.runId, entity };
  sink.metric(METRICS.rowsLoaded, done.rowsLoaded ?? 0, props);
  sink.metric(METRICS.rowsRejected, done.rowsRejected ?? 0, props);
}

/** An attempt failed and will be repeated: no alert, only the event. */
export function stepRetried(
  scope: TelemetryScope,
  run: RunRef,
  retry: { step: string; entity?: string; error: unknown; attempt: number; reason: string; delayMs?: number },
): void {
  sinkOf(scope).event(
    EVENTS.stepRetried,
    {
      ...runProperties(run),
      step: retry.step,
      entity: retry.entity,
      ...errorOf(retry.error),
      attempt: String(retry.attempt),
      final: 'false',
      reason: retry.reason,
    },
    retry.delayMs === undefined ? {} : { delayMs: retry.delayMs },
  );
}

/** The run succeeded: its event, its duration and the warehouse's freshness lag as metrics. */
export async function runSucceeded(
  scope: TelemetryScope & { oltp: Database<OltpTables>; dw: Database<WarehouseTables> },
  run: RunRef,
  done: Counts & { finishedAt: Date; certifiedTo?: Date | null },
): Promise<void> {
  const sink = sinkOf(scope);
  if (!sink.enabled) return;
  const { finishedAt, certifiedTo, ...counts } = done;
  sink.event(EVENTS.runSucceeded, { ...runProperties(run), finishedAt: finishedAt.toISOString(), certifiedTo: certifiedTo?.toISOString() }, counts);
  const props = { job: jobOf(run.kind), runId: run.runId };
  if (counts.durationMs !== undefined) sink.metric(METRICS.runDuration, counts.durationMs / 1000, props);
  try {
    const lag = await freshnessLagMinutes(scope.oltp, scope.dw);
    if (lag !== null) sink.metric(METRICS.freshnessLag, lag, props);
  } catch (e) {
    scope.log.warn('could not measure the freshness lag for telemetry', { runId: run.runId, error: errorOf(e).error });
  }
}

/** Minutes between the source's clock and the newest watermark (null before the first load). */
async function freshnessLagMinutes(oltp: Database<OltpTables>, dw: Database<WarehouseTables>): Promise<number | null> {
  const newest = await newestWatermark(dw.db).executeTakeFirst();
  if (!newest) return null;
  const clock = await readClock(oltp.db);
  return Math.round((clock.getTime() - new Date(newest.high_water).getTime()) / 6000) / 10;
}

export interface FinalFailure extends Counts {
  step: string;
  entity?: string;
  error: unknown;
  attempt?: number;
  /** why nothing will retry it (the queue's last attempt, an error no retry can fix, ...) */
  reason: string;
  finishedAt?: Date;
}

/**
 * The run failed for good: PipelineRunFailed (with the check's name when a quality gate failed,
 * plus one QualityGateFailed per failing check), the exception, the alert line in the log and
 * the Teams message. Awaits the Teams post (bounded by its own timeout).
 */
export async function runFailed(scope: TelemetryScope, run: RunRef, failure: FinalFailure): Promise<void> {
  const { sink, teams } = scope.telemetry ?? NO_TELEMETRY;
  const finishedAt = failure.finishedAt ?? new Date();
  const { error, errorClass } = errorOf(failure.error);
  const check = failedChecks(failure.error);
  const props = {
    ...runProperties(run),
    step: failure.step,
    entity: failure.entity,
    finishedAt: finishedAt.toISOString(),
    attempt: failure.attempt?.toString(),
  };
  const measurements: EventMeasurements<typeof EVENTS.runFailed> = {
    durationMs: failure.durationMs ?? (run.startedAt ? finishedAt.getTime() - run.startedAt.getTime() : undefined),
    rowsRead: failure.rowsRead,
    rowsLoaded: failure.rowsLoaded,
    rowsRejected: failure.rowsRejected,
  };
  // a quality gate's error is the check's name: what the alert and the dashboard group by
  sink.event(
    EVENTS.runFailed,
    { ...props, error: check ? `QualityGateError: ${check}` : error, errorClass, check, final: 'true', reason: failure.reason },
    measurements,
  );
  if (failure.error instanceof QualityGateError)
    for (const r of blockingFailures(failure.error.results))
      sink.event(EVENTS.qualityGateFailed, {
        ...runProperties(run),
        check: r.name,
        phase: r.phase,
        severity: r.severity,
        observed: redact(r.observed).slice(0, 1000),
        expected: r.expected.slice(0, 1000),
        error,
      });
  sink.exception(failure.error, { ...props, error, final: 'true' });
  const alert: FinalFailureAlert = {
    job: jobOf(run.kind),
    runId: run.runId,
    step: failure.step,
    entity: failure.entity,
    error,
    ...(check ? { check } : {}),
    at: finishedAt,
  };
  scope.log.alert(alertSummaryLine(alert));
  await teams.notify(alert).catch(() => undefined);
}

/** A queue message failed its last delivery: the host moves it to <queue>-poison. */
export function messagePoisoned(sink: TelemetrySink, poisoned: { queue: string; runId?: string; kind?: string; error: unknown; attempt: number }): void {
  const { error, errorClass } = errorOf(poisoned.error);
  const props = {
    queue: `${poisoned.queue}-poison`,
    job: poisoned.kind === undefined ? undefined : jobOf(poisoned.kind),
    runId: poisoned.runId,
    error,
    errorClass,
    attempt: String(poisoned.attempt),
    final: 'true',
  };
  sink.event(EVENTS.messagePoisoned, props);
  sink.exception(poisoned.error, props);
}
