// The final-failure alert: what ops receive when a pipeline run fails for good. One value
// (FinalFailureAlert) feeds both the one-line summary that is printed/logged and the optional
// Teams card, so the two never disagree about what failed.
import type { Job } from '../telemetry/events.js';

export interface FinalFailureAlert {
  job: Job;
  runId: string;
  /** extract | dimensions | facts | start */
  step?: string;
  entity?: string;
  /** the error's class and message, already free of secrets (the caller's duty, as for telemetry) */
  error: string;
  /** the quality check's name when a quality gate failed */
  check?: string;
  /** when the failure became final */
  at: Date;
}

/** The longest error text an alert carries: enough for class + message, short enough for a pager line. */
export const ALERT_ERROR_MAX_CHARS = 300;

/** Where the run's details are served (GET /api/runs/{id}); encoded because a run id is data. */
export function runPath(runId: string): string {
  return `/api/runs/${encodeURIComponent(runId)}`;
}

// Built once: formatters are costly to create. The time zone is explicit, so the answer does not
// depend on the machine's TZ; h23 avoids '24:00:00' at midnight, which some ICU versions print.
const SAO_PAULO = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/Sao_Paulo',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** The failure time in UTC and in the business's zone (ops read UTC, the business reads São Paulo). */
export function alertTimes(at: Date): { utc: string; saoPaulo: string } {
  const utc = `${at.toISOString().slice(0, 10)} ${at.toISOString().slice(11, 19)} UTC`;
  // formatToParts, not format: the locale's punctuation is not ours to depend on
  const p = Object.fromEntries(SAO_PAULO.formatToParts(at).map((x) => [x.type, x.value]));
  const saoPaulo = `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} America/Sao_Paulo`;
  return { utc, saoPaulo };
}

/** Collapses every run of whitespace (newlines included) to one space, so a value cannot break the line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The error as an alert carries it: one line, at most ALERT_ERROR_MAX_CHARS (a stack trace is not an alert). */
export function alertError(error: string): string {
  const flat = oneLine(error);
  return flat.length <= ALERT_ERROR_MAX_CHARS ? flat : `${flat.slice(0, ALERT_ERROR_MAX_CHARS - 1)}…`;
}

/**
 * The one-line summary, e.g.
 * ALERT pipeline run failed: job=daily-elt run=... step=facts entity=vendas check=... error="..." at <UTC> (<São Paulo>) details: /api/runs/...
 * key=value so it greps well; the error is quoted (JSON string syntax) because it has spaces.
 */
export function alertSummaryLine(a: FinalFailureAlert): string {
  const { utc, saoPaulo } = alertTimes(a.at);
  const fields = [`job=${a.job}`, `run=${oneLine(a.runId)}`];
  if (a.step) fields.push(`step=${oneLine(a.step)}`);
  if (a.entity) fields.push(`entity=${oneLine(a.entity)}`);
  if (a.check) fields.push(`check=${oneLine(a.check)}`);
  fields.push(`error=${JSON.stringify(alertError(a.error))}`);
  return `ALERT pipeline run failed: ${fields.join(' ')} at ${utc} (${saoPaulo}) details: ${runPath(a.runId)}`;
}
