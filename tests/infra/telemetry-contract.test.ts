// The alert queries use only the telemetry the app declares it sends (shared/telemetry/events.ts):
// every event or metric name a query filters on is declared, and every customDimensions /
// customMeasurements key it reads is declared for one of the events (or metrics) it filters on.
// A renamed property in the app then fails here, not as an alert that silently never fires.
import { EVENTS, EVENT_SCHEMA, METRICS, METRIC_PROPERTIES, type EventName, type MetricName } from '../../shared/telemetry/events.js';
import { infraFiles, kustoBlocks, monitoringDoc, readText, repoPath } from './infra-files.js';

const EVENT_NAMES = new Set<string>(Object.values(EVENTS));
const METRIC_NAMES = new Set<string>(Object.values(METRICS));

interface QueryTelemetry {
  names: string[];
  properties: string[];
  measurements: string[];
}

const unique = (values: string[]): string[] => [...new Set(values)].sort();
const quoted = (list: string): string[] => [...list.matchAll(/"([^"]*)"|'([^']*)'/g)].map((match) => match[1] ?? match[2] ?? '');

/** Names filtered on (name == "x", name =~ "x", name in ("x", "y")) and the dynamic keys read. */
function telemetryOf(query: string): QueryTelemetry {
  const code = query.replace(/\/\/[^\n]*/g, ''); // comments may mention anything
  const names = [
    ...[...code.matchAll(/\bname\s*(?:==|=~)\s*("[^"]*"|'[^']*')/g)].flatMap((match) => quoted(match[1] ?? '')),
    ...[...code.matchAll(/\bname\s+in~?\s*\(([^)]*)\)/g)].flatMap((match) => quoted(match[1] ?? '')),
  ];
  const keys = (column: string): string[] =>
    [...code.matchAll(new RegExp(`\\b${column}\\s*(?:\\.\\s*([A-Za-z_][A-Za-z0-9_]*)|\\[\\s*(?:"([^"]*)"|'([^']*)')\\s*\\])`, 'g'))].map(
      (match) => match[1] ?? match[2] ?? match[3] ?? '',
    );
  return { names: unique(names), properties: unique(keys('customDimensions')), measurements: unique(keys('customMeasurements')) };
}

/** What a query uses that events.ts does not declare; [] when it keeps to the contract. */
function contractViolations(query: string): string[] {
  const { names, properties, measurements } = telemetryOf(query);
  const problems = names.filter((name) => !EVENT_NAMES.has(name) && !METRIC_NAMES.has(name)).map((name) => `unknown event or metric "${name}"`);
  const events = names.filter((name): name is EventName => EVENT_NAMES.has(name));
  const metrics = names.filter((name): name is MetricName => METRIC_NAMES.has(name));
  // A query that filters on no name may read any event's properties; one that filters on some
  // names may read only theirs (a property of any one of them: `name in (...)` mixes events).
  const scope: EventName[] = names.length === 0 ? [...(Object.values(EVENTS) as EventName[])] : events;
  const declaredProperties = new Set<string>([
    ...scope.flatMap((event) => EVENT_SCHEMA[event].properties),
    ...(names.length === 0 || metrics.length > 0 ? METRIC_PROPERTIES : []),
  ]);
  const declaredMeasurements = new Set<string>(scope.flatMap((event) => EVENT_SCHEMA[event].measurements));
  const filtered = names.length === 0 ? 'any event' : names.join(', ');
  problems.push(...properties.filter((key) => !declaredProperties.has(key)).map((key) => `customDimensions.${key} is not a property of ${filtered}`));
  problems.push(...measurements.filter((key) => !declaredMeasurements.has(key)).map((key) => `customMeasurements.${key} is not a measurement of ${filtered}`));
  return problems;
}

const queries = infraFiles('kql');

describe('alert queries against the telemetry contract (shared/telemetry/events.ts)', () => {
  it.each(queries.map((file) => [repoPath(file), file]))('%s uses only declared events, properties and measurements', (_name, file) => {
    expect(contractViolations(readText(file))).toEqual([]);
  });

  it.each(kustoBlocks(monitoringDoc).map((query, i) => [i + 1, query]))('example query %i of docs/monitoring.md uses only declared telemetry', (_i, query) => {
    expect(contractViolations(query)).toEqual([]);
  });

  it('reads what each alert is about', () => {
    const byFile = Object.fromEntries(queries.map((file) => [repoPath(file), telemetryOf(readText(file))]));
    expect(byFile['infra/monitoring/queries/run-failed.kql']).toEqual({
      names: ['PipelineRunFailed'],
      properties: ['entity', 'error', 'job', 'runId', 'step'],
      measurements: [],
    });
    expect(byFile['infra/monitoring/queries/daily-run-missing.kql']).toEqual({ names: ['PipelineRunSucceeded'], properties: ['job'], measurements: [] });
    expect(byFile['infra/monitoring/queries/poison-or-quality-gate.kql']).toEqual({
      names: ['PipelineMessagePoisoned', 'QualityGateFailed'],
      properties: ['check', 'error', 'expected', 'job', 'observed', 'queue', 'runId'],
      measurements: [],
    });
  });

  describe('reports what is wrong (the check can fail)', () => {
    it('an event name the app never sends', () => {
      expect(contractViolations('customEvents | where name == "PipelineRunFailure"')).toEqual(['unknown event or metric "PipelineRunFailure"']);
    });

    it('a property the filtered event does not carry, in both syntaxes', () => {
      expect(
        contractViolations(`customEvents
          | where name == "PipelineRunSucceeded"
          | extend step = tostring(customDimensions.step), queue = tostring(customDimensions["queue"]), job = tostring(customDimensions['job'])`),
      ).toEqual(['customDimensions.queue is not a property of PipelineRunSucceeded', 'customDimensions.step is not a property of PipelineRunSucceeded']);
    });

    it('a misspelt measurement, and names listed with in (...)', () => {
      expect(
        contractViolations(
          'customEvents | where name in ("PipelineStepCompleted", "PipelineRunFailed") | summarize sum(todouble(customMeasurements.rowLoaded)), sum(todouble(customMeasurements.rowsLoaded))',
        ),
      ).toEqual(['customMeasurements.rowLoaded is not a measurement of PipelineRunFailed, PipelineStepCompleted']);
    });

    it('a metric property that metrics do not have', () => {
      expect(contractViolations('customMetrics | where name == "PipelineRowsLoaded" | summarize sum(value) by tostring(customDimensions.table)')).toEqual([
        'customDimensions.table is not a property of PipelineRowsLoaded',
      ]);
    });

    it('but not a name in a comment', () => {
      expect(
        contractViolations(
          '// name == "Nope" customDimensions.nope\ncustomEvents | where name == "QualityGateFailed" | project tostring(customDimensions.check)',
        ),
      ).toEqual([]);
    });
  });
});
