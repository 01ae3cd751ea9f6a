// HTTP triggers: a server on 127.0.0.1 that hands each request under /api to the function whose
// route and method match (routes.ts) and writes its response. What the real host answers by itself,
// before any function runs, is answered the same way here, with an empty body as the host sends
// it: 400 for a target Kestrel refuses (an encoded NUL, a bad Host), 404 when no function takes the
// path and method, 413 past the host's 100 MB body limit, 500 when a function throws. Everything
// else is the function's own answer. No function keys are checked locally. A request never stops
// the server: every failure becomes an answer (or, once the answer has started, a closed socket).
import functions, { type HttpResponseInit } from '@azure/functions';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invocationContext, type HostLog } from './invocation-context.js';
import type { HttpRegistration } from './registrations.js';
import { decodePath, findRoute, requestPath } from './routes.js';

// @azure/functions is CommonJS: in ESM its classes come from the default import
const { HttpRequest } = functions;

/** The real host's limit on a request body: 100 MB (learn.microsoft.com, "Azure Functions HTTP trigger", Limits). */
export const HOST_MAX_BODY_BYTES = 104_857_600;

export interface HttpServer {
  /** http://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

/** The body, or null once it is larger than the host takes (a declared length is refused unread; a chunked body is cut off there). */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  if (Number(req.headers['content-length'] ?? 0) > HOST_MAX_BODY_BYTES) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > HOST_MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Serves the routes on `port` (0 = a free one). */
export async function startHttpServer(routes: readonly HttpRegistration[], port: number, log: HostLog): Promise<HttpServer> {
  const hostAnswer = (res: ServerResponse, status: number) => res.writeHead(status, { 'content-length': '0' }).end();

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const rawPath = requestPath(req.url ?? '');
    const path = rawPath === null ? null : decodePath(rawPath);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    } catch {
      return hostAnswer(res, 400);
    }
    if (path === null) return hostAnswer(res, 400);
    const found = findRoute(routes, req.method ?? '', path);
    if (!found) return hostAnswer(res, 404);
    const body = await readBody(req);
    if (body === null) return hostAnswer(res, 413);
    const { route, params } = found;
    let out: HttpResponseInit;
    try {
      const request = new HttpRequest({
        method: req.method!,
        url: url.href,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: body.length ? { string: body.toString('utf8') } : undefined,
        params,
      });
      out = await route.handler(request, invocationContext(route.name, log));
    } catch (e) {
      log(`[${route.name}] failed: ${e instanceof Error ? e.message : String(e)}`);
      return hostAnswer(res, 500);
    }
    const text = out.jsonBody !== undefined ? JSON.stringify(out.jsonBody) : typeof out.body === 'string' ? out.body : '';
    res
      .writeHead(out.status ?? 200, {
        'content-type': out.jsonBody !== undefined ? 'application/json' : 'text/plain',
        ...(out.headers as Record<string, string>),
      })
      .end(text);
  };

  const server = createServer((req, res) => {
    // nothing awaits a request here: whatever goes wrong (a client that hangs up mid-body, a bad
    // header value) is logged and answered, never left to crash the process
    serve(req, res).catch((e: unknown) => {
      log(`[http] ${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) hostAnswer(res, 500);
      else res.destroy();
    });
  });
  server.listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((done) => server.close(() => done())),
  };
}
