// Posts the final-failure card to a Teams Workflows webhook, when one is configured
// (ALERT_TEAMS_WEBHOOK_URL). An alert is a courtesy on top of the run's own record, so the
// notifier never throws and never holds the caller up for longer than its timeout.
// The URL is a secret (its query carries the flow's signature): no log line ever contains it.
import type { FinalFailureAlert } from './alert.js';
import { teamsMessage } from './teams-card.js';

export type NotifyOutcome = 'sent' | 'skipped' | 'failed';

export interface TeamsNotifier {
  notify(a: FinalFailureAlert): Promise<NotifyOutcome>;
}

export interface TeamsNotifierOptions {
  /** how long one post may take, answer included (default 5000 ms) */
  timeoutMs?: number;
  log?: { warn(msg: string, props?: Record<string, unknown>): void };
  /** how many run ids the once-per-run rule remembers (default 1000; the oldest is forgotten first) */
  rememberRuns?: number;
}

const SETTING = 'ALERT_TEAMS_WEBHOOK_URL';

/** https only: the body names runs and errors. http is allowed for the loopback host, for tests. */
function webhookUrl(value: string): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol === 'https:') return url;
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  return url.protocol === 'http:' && loopback ? url : null;
}

/** Why a post failed, in words that cannot carry the URL: the error's class and system code, never its message. */
function failureReason(e: unknown): string {
  // duck-typed, not instanceof: fetch's errors may come from another realm (a test runner's vm)
  const err = typeof e === 'object' && e !== null ? (e as { name?: unknown; cause?: { code?: unknown } }) : {};
  const name = typeof err.name === 'string' ? err.name : typeof e;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timed out';
  const code = err.cause?.code;
  return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? `${name} ${code}` : name;
}

export function createTeamsNotifier(url: string | undefined, opts: TeamsNotifierOptions = {}): TeamsNotifier {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const log = opts.log ?? { warn: (msg: string, props?: Record<string, unknown>) => console.warn(msg, props ?? {}) };
  const rememberRuns = opts.rememberRuns ?? 1000;
  const configured = (url ?? '').trim();
  // validated once: a bad setting is reported on each alert it swallows, not by failing the app
  const target = configured === '' ? null : webhookUrl(configured);
  // insertion-ordered, so the oldest run id is the first one out when the set is full
  const posted = new Set<string>();

  return {
    async notify(a) {
      if (configured === '') return 'skipped'; // off by default
      if (target === null) {
        log.warn(`Teams alert not sent: ${SETTING} is not a valid https URL (value not shown: it is a secret)`, { runId: a.runId });
        return 'failed';
      }
      // At most one post per run, counted before posting: a retried final failure (or two racing
      // callers) must not page twice, and a timed-out post may still have reached Teams.
      if (posted.has(a.runId)) return 'skipped';
      posted.add(a.runId);
      if (posted.size > rememberRuns) posted.delete(posted.values().next().value as string);

      try {
        const res = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(teamsMessage(a)),
          // a flow's URL does not redirect; following one would send the alert somewhere unvetted
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        // the answer's body is not needed; releasing it frees the connection
        await res.body?.cancel();
        if (!res.ok) {
          log.warn(`Teams alert not sent: the webhook answered HTTP ${res.status}`, { runId: a.runId, status: res.status });
          return 'failed';
        }
        return 'sent';
      } catch (e) {
        log.warn(`Teams alert not sent: ${failureReason(e)}`, { runId: a.runId, timeoutMs });
        return 'failed';
      }
    },
  };
}
