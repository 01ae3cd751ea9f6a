// A small local stand-in for the Azure Functions host, for development and tests (Core Tools
// cannot be installed here). It runs the functions of functions/ (registrations.ts) with the
// trigger settings the real host reads: timers on their NCRONTAB schedules (timers.ts), queue
// polling with host.json's semantics (host-json.ts, queue-poller.ts) and HTTP routes under /api
// (http-server.ts, routes.ts). It deliberately does nothing the real host does not.
import { QueueServiceClient } from '@azure/storage-queue';
import { QUEUE_CLIENT_OPTIONS } from '../shared/storage/storage-options.js';
import { readHostJson } from './host-json.js';
import { startHttpServer, type HttpServer } from './http-server.js';
import type { HostLog } from './invocation-context.js';
import { createQueuePoller, pollInBackground } from './queue-poller.js';
import { REGISTRATIONS } from './registrations.js';
import { fireTimer, runTimerSchedules } from './timers.js';

export interface LocalHost {
  /** runs a timer function now, as the schedule would */
  fireTimer(name: string): Promise<void>;
  /** polls every queue once; returns how many messages were handled */
  pollOnce(): Promise<number>;
  /** polls until every queue is empty (and no retry is pending within `waitMs`) */
  drain(waitMs?: number): Promise<void>;
  readonly url: string | null;
  stop(): Promise<void>;
}

export async function startLocalHost(options: {
  storageConnectionString: string;
  /** serve HTTP routes on this port (0 = random); omit to serve none */
  httpPort?: number;
  /** fire timers on their schedules and poll the queues in the background */
  schedule?: boolean;
  /** maps a queue name to the real one (tests isolate queues) */
  queueName?: (name: string) => string;
  log?: HostLog;
  hostJsonPath?: string;
}): Promise<LocalHost> {
  const log = options.log ?? ((line) => console.log(line));
  const settings = readHostJson(options.hostJsonPath);
  const poller = createQueuePoller({
    queues: REGISTRATIONS.queues,
    service: QueueServiceClient.fromConnectionString(options.storageConnectionString, QUEUE_CLIENT_OPTIONS),
    queueName: options.queueName ?? ((n) => n),
    settings,
    log,
  });
  const stops: (() => Promise<void>)[] = [];
  if (options.schedule) stops.push(runTimerSchedules(REGISTRATIONS.timers, log), pollInBackground(poller, settings, log));
  let server: HttpServer | null = null;
  if (options.httpPort !== undefined) {
    server = await startHttpServer(REGISTRATIONS.http, options.httpPort, log);
    stops.push(server.stop);
  }

  return {
    async fireTimer(name) {
      const timer = REGISTRATIONS.timers.find((t) => t.name === name);
      if (!timer) throw new Error(`no timer function '${name}'`);
      await fireTimer(timer, log);
    },
    pollOnce: poller.pollOnce,
    drain: poller.drain,
    url: server?.url ?? null,
    async stop() {
      await Promise.all(stops.map((stop) => stop()));
    },
  };
}
