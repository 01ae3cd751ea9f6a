// The telemetry contract: the custom events and metrics the app sends to Application Insights,
// with the properties (customDimensions) and measurements (customMeasurements) each carries.
// The alert rules in infra/ query these names, so they are part of the product's interface:
// a test checks that every name a query uses is declared here, and the ingestion test checks
// that what the app really sends matches it.

export const EVENTS = {
  /** a run took the pipeline lease and started its extract */
  runStarted: 'PipelineRunStarted',
  /** the run's last step finished and every blocking quality check passed */
  runSucceeded: 'PipelineRunSucceeded',
  /** the run failed for good (never sent for a failure the queue or an in-process retry will repeat) */
  runFailed: 'PipelineRunFailed',
  /** one step (extract, dimensions, facts) of one entity finished */
  stepCompleted: 'PipelineStepCompleted',
  /** an attempt failed and will be repeated (in-process backoff, or the queue's next delivery) */
  stepRetried: 'PipelineStepRetried',
  /** a queue message failed its last delivery: the host moves it to <queue>-poison */
  messagePoisoned: 'PipelineMessagePoisoned',
  /** a blocking quality check failed: the load was rolled back or the run not certified */
  qualityGateFailed: 'QualityGateFailed',
} as const;

export type EventName = (typeof EVENTS)[keyof typeof EVENTS];

export const METRICS = {
  /** rows a load step wrote (property `entity`) */
  rowsLoaded: 'PipelineRowsLoaded',
  /** rows a load step quarantined (property `entity`) */
  rowsRejected: 'PipelineRowsRejected',
  /** seconds from the run's start to its success */
  runDuration: 'PipelineRunDurationSeconds',
  /** minutes between the source clock and the newest watermark, measured after a run */
  freshnessLag: 'PipelineFreshnessLagMinutes',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** Which job a run belongs to: the daily timer chain or an engineer's backfill. */
export type Job = 'daily-elt' | 'backfill';

/** Properties every run event may carry (all strings in customDimensions). */
const RUN = ['job', 'runId', 'kind', 'startedAt'] as const;
/** Measurements of a run or a step (numbers in customMeasurements). */
const COUNTS = ['durationMs', 'rowsRead', 'rowsLoaded', 'rowsRejected'] as const;

/**
 * Per event: the property and measurement names it may carry. `final` is the string 'true' or
 * 'false'; `error` is the error's class and message (never a connection string or password);
 * times are ISO 8601 UTC.
 */
export const EVENT_SCHEMA = {
  [EVENTS.runStarted]: { properties: [...RUN, 'attempt'], measurements: [] },
  [EVENTS.runSucceeded]: { properties: [...RUN, 'finishedAt', 'certifiedTo'], measurements: COUNTS },
  [EVENTS.runFailed]: {
    properties: [...RUN, 'step', 'entity', 'error', 'errorClass', 'check', 'finishedAt', 'attempt', 'final', 'reason'],
    measurements: COUNTS,
  },
  [EVENTS.stepCompleted]: { properties: [...RUN, 'step', 'entity', 'attempt'], measurements: [...COUNTS, 'rowsInserted', 'rowsUpdated'] },
  [EVENTS.stepRetried]: { properties: [...RUN, 'step', 'entity', 'error', 'errorClass', 'attempt', 'final', 'reason'], measurements: ['delayMs'] },
  [EVENTS.messagePoisoned]: { properties: ['queue', 'job', 'runId', 'error', 'errorClass', 'attempt', 'final'], measurements: [] },
  [EVENTS.qualityGateFailed]: { properties: [...RUN, 'check', 'phase', 'severity', 'observed', 'expected', 'error'], measurements: [] },
} as const satisfies Record<EventName, { properties: readonly string[]; measurements: readonly string[] }>;

/** Properties of every metric: which run and entity it is about. */
export const METRIC_PROPERTIES = ['job', 'runId', 'entity'] as const;

export type EventProperties<E extends EventName> = Partial<Record<(typeof EVENT_SCHEMA)[E]['properties'][number], string>>;
export type EventMeasurements<E extends EventName> = Partial<Record<(typeof EVENT_SCHEMA)[E]['measurements'][number], number>>;

export const jobOf = (kind: string): Job => (kind === 'backfill' ? 'backfill' : 'daily-elt');
