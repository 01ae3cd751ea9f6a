// The parts of host.json the local host implements: the queue trigger's retry and polling
// settings, with the real host's defaults when a setting is absent.
import { readFileSync } from 'node:fs';

export interface QueueSettings {
  maxDequeueCount: number;
  visibilityTimeoutSeconds: number;
  maxPollingIntervalMs: number;
}

/** host.json timespans are hh:mm:ss. */
function timespanSeconds(v: string | undefined, fallback: number): number {
  if (!v) return fallback;
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(v);
  if (!m) throw new Error(`host.json: '${v}' is not a hh:mm:ss timespan`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

export function parseHostJson(text: string): QueueSettings {
  const json = JSON.parse(text) as { extensions?: { queues?: Record<string, string | number> } };
  const q = json.extensions?.queues ?? {};
  if (q.messageEncoding !== undefined && q.messageEncoding !== 'base64') throw new Error('the local host only implements messageEncoding base64');
  return {
    maxDequeueCount: Number(q.maxDequeueCount ?? 5),
    visibilityTimeoutSeconds: timespanSeconds(q.visibilityTimeout as string | undefined, 0),
    maxPollingIntervalMs: timespanSeconds(q.maxPollingInterval as string | undefined, 60) * 1000,
  };
}

export const readHostJson = (path = 'host.json'): QueueSettings => parseHostJson(readFileSync(path, 'utf8'));
