// HTTP triggers: a server on 127.0.0.1 that hands each request under /api to the function whose
// route matches (404 when none does, 405 when none takes the method) and writes its response.
// No function keys are checked locally.
import functions, { type HttpResponseInit } from '@azure/functions';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invocationContext, type HostLog } from './invocation-context.js';
import type { HttpRegistration } from './registrations.js';
import { findRoute } from './routes.js';

// @azure/functions is CommonJS: in ESM its classes come from the default import
const { HttpRequest } = functions;

export interface HttpServer {
  /** http://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

/** Serves the routes on `port` (0 = a free one). */
export async function startHttpServer(routes: readonly HttpRegistration[], port: number, log: HostLog): Promise<HttpServer> {
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '/').split('?')[0]!;
    const found = findRoute(routes, req.method ?? '', path);
    if (found === 'not found') return res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${path}` }));
    if (found === 'method not allowed') return res.writeHead(405).end();
    const { route, params } = found;
    try {
      const request = new HttpRequest({
        method: req.method!,
        url: `http://${req.headers.host}${req.url}`,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: chunks.length ? { string: Buffer.concat(chunks).toString('utf8') } : undefined,
        params,
      });
      const out: HttpResponseInit = await route.handler(request, invocationContext(route.name, log));
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
  // the handler answers every request itself; nothing awaits it here
  const server = createServer((req, res) => void serve(req, res));
  server.listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((done) => server.close(() => done())),
  };
}
