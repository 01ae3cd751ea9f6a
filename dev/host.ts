// A small local stand-in for the Azure Functions host, for development and tests (Core Tools
// cannot be installed here). It runs the same handlers with the same trigger settings the real
// host reads: the timer schedule (NCRONTAB, %SETTING% resolved from the environment), queue
// polling with host.json's semantics (base64 messages, JSON bodies parsed, dequeue count,
// visibilityTimeout before a retry, move to <queue>-poison after maxDequeueCount) and HTTP routes
// under /api. It deliberately does nothing the real host does not.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import functions, { type HttpRequest as HttpRequestType, type HttpResponseInit, type InvocationContext as Ctx, type Timer } from '@azure/functions';
import { QueueServiceClient } from '@azure/storage-queue';
import { backfillHandler, backfillRoute } from '../functions/backfill.js';
import { healthHandler } from '../functions/health.js';
import { extractHandler, extractTimer } from '../functions/extract.js';
import { loadDimensionsHandler, loadDimensionsQueue } from '../functions/load-dimensions.js';
import { loadFactsHandler, loadFactsQueue } from '../functions/load-facts.js';
import { runsHandler, runsRoute } from '../functions/runs.js';
import { nextOccurrence, parseNcrontab } from './ncrontab.js';

const { HttpRequest, InvocationContext } = functions;

/** Every function of functions/, as the real host registers them (a test keeps this list complete). */
export const REGISTRATIONS = {
  timers: [{ name: 'extract', ...extractTimer, handler: extractHandler }],
  queues: [
    { name: 'loadDimensions', ...loadDimensionsQueue, handler: loadDimensionsHandler },
    { name: 'loadFacts', ...loadFactsQueue, handler: loadFactsHandler },
  ],
  http: [
    { name: 'health', route: 'health', methods: ['GET'], handler: healthHandler },
    { name: 'backfill', ...backfillRoute, handler: backfillHandler },
    { name: 'runs', ...runsRoute, handler: runsHandler },
  ],
};

interface QueueSettings {
  maxDequeueCount: number;
  visibilityTimeoutSeconds: number;
  maxPollingIntervalMs: number;
}

function timespanSeconds(v: string | undefined, fallback: number): number {
  if (!v) return fallback;
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(v);
  if (!m) throw new Error(`host.json: '${v}' is not a hh:mm:ss timespan`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

export function readHostJson(path = 'host.json'): QueueSettings {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { extensions?: { queues?: Record<string, string | number> } };
  const q = json.extensions?.queues ?? {};
  if (q.messageEncoding !== undefined && q.messageEncoding !== 'base64') throw new Error('the local host only implements messageEncoding base64');
  return {
    maxDequeueCount: Number(q.maxDequeueCount ?? 5),
    visibilityTimeoutSeconds: timespanSeconds(q.visibilityTimeout as string | undefined, 0),
    maxPollingIntervalMs: timespanSeconds(q.maxPollingInterval as string | undefined, 60) * 1000,
  };
}

/**
 * Matches a path against a route template under /api, as the real host does for plain segments
 * and `{name}` / `{name?}` parameters (no constraints); returns the route parameters or null.
 */
export function matchRoute(template: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const pattern = template
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)(\?)?\}$/.exec(segment);
      if (!param) return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
      names.push(param[1]!);
      return param[2] ? '(?:/([^/]+))?' : '/([^/]+)';
    })
    .join('');
  const m = new RegExp(`^/api${pattern}$`, 'i').exec(path);
  if (!m) return null;
  const params: Record<string, string> = {};
  names.forEach((name, i) => {
    if (m[i + 1] !== undefined) params[name] = decodeURIComponent(m[i + 1]!);
  });
  return params;
}

const resolveSetting = (value: string) =>
  value.replace(/%([A-Za-z0-9_]+)%/g, (_m, name: string) => {
    const v = process.env[name];
    if (v === undefined || v === '') throw new Error(`app setting ${name} (used by a trigger) is not set`);
    return v;
  });

export interface HostLog {
  (line: string): void;
}

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
  /** fire timers on their schedules */
  schedule?: boolean;
  /** maps a queue name to the real one (tests isolate queues) */
  queueName?: (name: string) => string;
  log?: HostLog;
  hostJsonPath?: string;
}): Promise<LocalHost> {
  const log = options.log ?? ((line) => console.log(line));
  const settings = readHostJson(options.hostJsonPath);
  const service = QueueServiceClient.fromConnectionString(options.storageConnectionString);
  const queueName = options.queueName ?? ((n: string) => n);
  const contextFor = (functionName: string, triggerMetadata: Record<string, unknown> = {}): Ctx =>
    new InvocationContext({
      functionName,
      invocationId: crypto.randomUUID(),
      triggerMetadata,
      logHandler: (level, ...args) => log(`[${functionName}] ${level}: ${args.map(String).join(' ')}`),
    });

  async function fireTimer(name: string): Promise<void> {
    const t = REGISTRATIONS.timers.find((x) => x.name === name);
    if (!t) throw new Error(`no timer function '${name}'`);
    const timer: Timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as Timer;
    await t.handler(timer, contextFor(name));
  }

  async function handleOne(q: (typeof REGISTRATIONS.queues)[number]): Promise<boolean> {
    const client = service.getQueueClient(queueName(q.queueName));
    await client.createIfNotExists();
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 10 * 60 });
    const item = receivedMessageItems[0];
    if (!item) return false;
    const text = Buffer.from(item.messageText, 'base64').toString('utf8');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: handed over as a string, as the Node worker does
    }
    try {
      await q.handler(body, contextFor(q.name, { id: item.messageId, dequeueCount: item.dequeueCount, insertionTime: item.insertedOn }));
      await client.deleteMessage(item.messageId, item.popReceipt);
    } catch (e) {
      log(`[${q.name}] attempt ${item.dequeueCount} of ${settings.maxDequeueCount} failed: ${e instanceof Error ? e.message : String(e)}`);
      if (item.dequeueCount >= settings.maxDequeueCount) {
        const poison = service.getQueueClient(`${queueName(q.queueName)}-poison`);
        await poison.createIfNotExists();
        await poison.sendMessage(item.messageText);
        await client.deleteMessage(item.messageId, item.popReceipt);
        log(`[${q.name}] message ${item.messageId} moved to ${queueName(q.queueName)}-poison`);
      } else {
        await client.updateMessage(item.messageId, item.popReceipt, undefined, settings.visibilityTimeoutSeconds);
      }
    }
    return true;
  }

  async function pollOnce(): Promise<number> {
    let handled = 0;
    for (const q of REGISTRATIONS.queues) if (await handleOne(q)) handled++;
    return handled;
  }

  async function drain(waitMs = settings.visibilityTimeoutSeconds * 1000 + 1000): Promise<void> {
    let idleSince = Date.now();
    while (Date.now() - idleSince < waitMs) {
      if ((await pollOnce()) > 0) idleSince = Date.now();
      else await new Promise((r) => setTimeout(r, 200));
    }
  }

  // Background polling and timers, as the host would run them.
  let stopped = false;
  const background: Promise<void>[] = [];
  if (options.schedule) {
    for (const t of REGISTRATIONS.timers) {
      const schedule = parseNcrontab(resolveSetting(t.schedule));
      background.push(
        (async () => {
          while (!stopped) {
            const next = nextOccurrence(schedule, new Date());
            log(`[${t.name}] next run at ${next.toISOString()}`);
            while (!stopped && Date.now() < next.getTime()) await new Promise((r) => setTimeout(r, Math.min(1000, next.getTime() - Date.now())));
            if (!stopped) await fireTimer(t.name).catch((e: unknown) => log(`[${t.name}] failed: ${e instanceof Error ? e.message : String(e)}`));
          }
        })(),
      );
    }
    background.push(
      (async () => {
        let delay = 100;
        while (!stopped) {
          const handled = await pollOnce().catch((e: unknown) => (log(`queue polling failed: ${e instanceof Error ? e.message : String(e)}`), 0));
          delay = handled > 0 ? 100 : Math.min(delay * 2, settings.maxPollingIntervalMs);
          await new Promise((r) => setTimeout(r, delay));
        }
      })(),
    );
  }

  let server: Server | null = null;
  let url: string | null = null;
  if (options.httpPort !== undefined) {
    const serve = async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const path = (req.url ?? '/').split('?')[0]!;
      const matches = REGISTRATIONS.http.map((h) => ({ h, params: matchRoute(h.route, path) })).filter((m) => m.params !== null);
      if (!matches.length) return res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${path}` }));
      const match = matches.find((m) => (m.h.methods as string[]).includes(req.method ?? ''));
      if (!match) return res.writeHead(405).end();
      const { h: route, params } = match;
      try {
        const request: HttpRequestType = new HttpRequest({
          method: req.method!,
          url: `http://${req.headers.host}${req.url}`,
          headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
          body: chunks.length ? { string: Buffer.concat(chunks).toString('utf8') } : undefined,
          params: params!,
        });
        const out: HttpResponseInit = await route.handler(request, contextFor(route.name));
        const body = out.jsonBody !== undefined ? JSON.stringify(out.jsonBody) : typeof out.body === 'string' ? out.body : '';
        res
          .writeHead(out.status ?? 200, {
            'content-type': out.jsonBody !== undefined ? 'application/json' : 'text/plain',
            ...(out.headers as Record<string, string>),
          })
          .end(body);
      } catch (e) {
        log(`[${route.name}] failed: ${e instanceof Error ? e.message : String(e)}`);
        res.writeHead(500).end();
      }
    };
    server = createServer((req, res) => void serve(req, res));
    server.listen(options.httpPort, '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  return {
    fireTimer,
    pollOnce,
    drain,
    url,
    async stop() {
      stopped = true;
      await Promise.all(background);
      if (server) await new Promise((r) => server!.close(r));
    },
  };
}
