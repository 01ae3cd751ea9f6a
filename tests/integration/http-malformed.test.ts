// A malformed-request corpus against the local Functions host over real HTTP (raw sockets, so
// the bytes sent are exactly the ones written here), on PGlite and a real Azurite. Two kinds of
// answer, as on Azure:
// - requests a function receives get a 4xx JSON answer with an `error` field from our handler;
// - requests the real host refuses before any function runs (an encoded NUL in the path, a target
//   Kestrel cannot read, a path or method no function takes) get the host's own status with an
//   empty body, the way the real host answers them (see dev/routes.ts for the sources).
// Afterwards the host still answers /api/health, and nothing was written anywhere: every table
// of both databases has the rows (and content) it had, and no blob or queue message exists.
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { sql, type Kysely } from 'kysely';
import { connect } from 'node:net';
import type { LocalHost } from '../../dev/host.js';
import { getDatabase } from '../../shared/db/connections.js';
import type { WarehouseTables } from '../../shared/db/schema/index.js';
import { MAX_JSON_BODY_BYTES } from '../../shared/http/json-body.js';
import { startTestHost, stopTestHost } from '../helpers/host.js';

let host: LocalHost;
let connectionString: string;
const logs: string[] = [];

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` (request line and headers, without the blank line) and `body` as they are, on a fresh
 * connection, and reads the answer until the server closes it (every request says Connection: close;
 * the socket is not half-closed, which Node's server would take as the client giving up).
 */
function send(head: string, body: Buffer | string = ''): Promise<Answer> {
  const port = Number(new URL(host.url!).port);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), Buffer.from(body)])));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      let payload = text.slice(end + 4);
      if (headers['transfer-encoding'] === 'chunked') payload = payload.replace(/(?:^|\r\n)[0-9a-f]+\r\n/gi, '').replace(/\r\n$/, '');
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: payload });
    });
  });
}

type Request = { method?: string; target: string; headers?: string[]; body?: Buffer | string };

function request({ method = 'GET', target, headers = [], body }: Request): Promise<Answer> {
  const length = body === undefined || headers.some((h) => /^transfer-encoding:/i.test(h)) ? [] : [`Content-Length: ${Buffer.byteLength(body)}`];
  return send([`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers, ...length].join('\r\n'), body);
}

const JSON_TYPE = 'Content-Type: application/json';
const backfill = (body: Buffer | string, headers = [JSON_TYPE]): Request => ({ method: 'POST', target: '/api/backfill', headers, body });
const window = (fields: Record<string, unknown>) => JSON.stringify({ from: '2026-04-01', to: '2026-05-01', ...fields });
const chunked = (body: string) => `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
const RUN_ID = '20261130T101500123Z-1a2b3c';

/** Requests a function receives: each must be refused with a 4xx JSON answer naming the problem. */
const REFUSED_BY_FUNCTIONS: [string, Request, number][] = [
  // run ids in the path: checked by format before any query
  ['bad escape %ZZ', { target: '/api/runs/%ZZ' }, 400],
  ['lone UTF-8 lead byte %E0', { target: '/api/runs/%E0' }, 400],
  ['truncated UTF-8 %E0%A4', { target: '/api/runs/%E0%A4' }, 400],
  ['overlong UTF-8 %C0%AF', { target: '/api/runs/%C0%AF' }, 400],
  ['a UTF-16 surrogate %ED%A0%80', { target: '/api/runs/%ED%A0%80' }, 400],
  ['an encoded slash %2F', { target: '/api/runs/%2F' }, 400],
  ['a run id with an encoded slash', { target: `/api/runs/${RUN_ID}%2Fx` }, 400],
  ['an escaped percent %25', { target: '/api/runs/%25' }, 400],
  ['a %u escape', { target: '/api/runs/%u0000' }, 400],
  ['a run id of 300 characters', { target: `/api/runs/${'a'.repeat(300)}` }, 400],
  ['a run id with 2000 characters after a valid one', { target: `/api/runs/${RUN_ID}${'f'.repeat(2000)}` }, 400],
  ['SQL in a run id', { target: `/api/runs/${encodeURIComponent("' OR '1'='1")}` }, 400],
  ['a statement in a run id', { target: `/api/runs/${encodeURIComponent(`${RUN_ID}'; DELETE FROM etl.run; --`)}` }, 400],
  ['a semicolon in a run id', { target: '/api/runs/1;DROP%20TABLE%20etl.run' }, 400],
  ['a newline after a run id', { target: `/api/runs/${RUN_ID}%0A` }, 400],
  ['a space after a run id', { target: `/api/runs/${RUN_ID}%20` }, 400],
  ['a no-break space after a run id', { target: `/api/runs/${RUN_ID}%C2%A0` }, 400],
  ['an upper-case run id', { target: `/api/runs/${RUN_ID.toUpperCase()}` }, 400],
  ['a run id without its random part', { target: '/api/runs/20261130T101500123Z' }, 400],
  ['an accented run id', { target: '/api/runs/%C3%A9' }, 400],
  ['an emoji run id', { target: '/api/runs/%F0%9F%98%80' }, 400],
  ['a path traversal in a run id', { target: '/api/runs/..%2F..%2Fetc%2Fpasswd' }, 400],
  ['a run id in an upper-case route', { target: '/API/RUNS/not-a-run' }, 400],
  ['a well-formed id of no run', { target: `/api/runs/${RUN_ID}` }, 404],
  // limit of GET /api/runs
  ['limit=-1', { target: '/api/runs?limit=-1' }, 400],
  ['limit=1e3', { target: '/api/runs?limit=1e3' }, 400],
  ['limit=0x10', { target: '/api/runs?limit=0x10' }, 400],
  ['an empty limit', { target: '/api/runs?limit=' }, 400],
  ['a repeated limit', { target: '/api/runs?limit=5&limit=6' }, 400],
  ['limit=0', { target: '/api/runs?limit=0' }, 400],
  ['limit=201', { target: '/api/runs?limit=201' }, 400],
  ['limit=1.5', { target: '/api/runs?limit=1.5' }, 400],
  ['limit=%00', { target: '/api/runs?limit=%00' }, 400],
  ['limit of 23 digits', { target: '/api/runs?limit=99999999999999999999999' }, 400],
  ['limit in full-width digits', { target: '/api/runs?limit=%EF%BC%95' }, 400],
  ['limit=+5', { target: '/api/runs?limit=%2B5' }, 400],
  ['SQL in limit', { target: '/api/runs?limit=5%20OR%201=1' }, 400],
  ['limit=%ZZ', { target: '/api/runs?limit=%ZZ' }, 400],
  // content types of POST /api/backfill
  ['no content type', backfill(window({ dryRun: true }), []), 415],
  ['text/plain', backfill(window({}), ['Content-Type: text/plain']), 415],
  ['a form', backfill('from=2026-04-01&to=2026-05-01', ['Content-Type: application/x-www-form-urlencoded']), 415],
  ['multipart', backfill(window({}), ['Content-Type: multipart/form-data; boundary=x']), 415],
  ['JSON in UTF-16', backfill(window({}), ['Content-Type: application/json; charset=utf-16']), 415],
  ['XML', backfill('<backfill from="2026-04-01"/>', ['Content-Type: application/xml']), 415],
  ['text/json', backfill(window({}), ['Content-Type: text/json']), 415],
  ['a JSON patch', backfill(window({}), ['Content-Type: application/json-patch+json']), 415],
  // sizes
  ['a body one byte over the limit', backfill(window({ pad: 'x'.repeat(MAX_JSON_BODY_BYTES) })), 413],
  ['a 1 MB body', backfill(`[${'0,'.repeat(512 * 1024)}0]`), 413],
  ['a chunked body over the limit', backfill(chunked(window({ pad: 'x'.repeat(20_000) })), [JSON_TYPE, 'Transfer-Encoding: chunked']), 413],
  // bodies
  ['an empty body', backfill(''), 400],
  ['truncated JSON', backfill('{"from": "2026-04-01",'), 400],
  ['a JSON array', backfill('[{"from":"2026-04-01","to":"2026-05-01"}]'), 400],
  ['JSON null', backfill('null'), 400],
  ['a JSON number', backfill('20260401'), 400],
  ['a JSON string', backfill('"2026-04-01"'), 400],
  ['JSON true', backfill('true'), 400],
  ['an operator object for from', backfill(JSON.stringify({ from: { $gt: '' }, to: '2026-05-01' })), 400],
  ['a number for from', backfill(JSON.stringify({ from: 20260401, to: '2026-05-01' })), 400],
  ['an array for to', backfill(JSON.stringify({ from: '2026-04-01', to: ['2026-05-01'] })), 400],
  ['a number too large for a double', backfill('{"from": 1e400, "to": "2026-05-01"}'), 400],
  ['a huge number for dryRun', backfill('{"from": "2026-04-01", "to": "2026-05-01", "dryRun": 1e308}'), 400],
  ['an unknown field', backfill(window({ window: 'april' })), 400],
  ['a __proto__ field', backfill('{"from":"2026-04-01","to":"2026-05-01","__proto__":{"dryRun":true}}'), 400],
  ['a constructor field', backfill(window({ constructor: { prototype: {} } })), 400],
  ['deeply nested arrays', backfill(`${'['.repeat(5000)}${']'.repeat(5000)}`), 400],
  ['a window in year 0000', backfill(window({ from: '0000-01-01', to: '0000-02-01' })), 400],
  ['a window before BACKFILL_MIN_DATE', backfill(window({ from: '1999-12-31', to: '2000-01-31' })), 400],
  ['a dry run in year 0000', backfill(window({ from: '0000-01-01', to: '0000-02-01', dryRun: true })), 400],
  ['a window ending in year 9999', backfill(window({ from: '9999-11-01', to: '9999-12-31' })), 400],
  [
    'a window ending tomorrow',
    backfill(window({ from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString() })),
    400,
  ],
  ['from after to', backfill(window({ from: '2026-05-01', to: '2026-04-01' })), 400],
  ['from equal to to', backfill(window({ from: '2026-04-01', to: '2026-04-01T00:00:00Z' })), 400],
  ['a window of 93 days', backfill(window({ from: '2026-01-01', to: '2026-04-04' })), 400],
  ['a datetime without offset', backfill(window({ from: '2026-04-01T00:00:00' })), 400],
  ['an impossible date', backfill(window({ to: '2026-02-30' })), 400],
  ['an extended year', backfill(window({ from: '+275760-09-13' })), 400],
  ['a 10,000-character date', backfill(window({ from: '2'.repeat(10_000) })), 400],
  ['a NUL byte in a date', backfill(window({ from: '2026-04-01\u0000' })), 400],
  ['a raw NUL byte in the JSON', backfill('{"from":"2026-04-01\u0000","to":"2026-05-01"}'), 400],
  ['bytes that are not UTF-8', backfill(Buffer.from([0x7b, 0x22, 0x66, 0x72, 0x6f, 0x6d, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 400],
  ['full-width digits in a date', backfill(window({ from: '２０２６-04-01' })), 400],
  ['a right-to-left override in an entity', backfill(window({ entities: ['\u202Esodidep'] })), 400],
  ['a NUL byte in an entity', backfill(window({ entities: ['pedidos\u0000'] })), 400],
  ['an empty entities list', backfill(window({ entities: [] })), 400],
  ['entities as a string', backfill(window({ entities: 'pedidos' })), 400],
  ['entities as numbers', backfill(window({ entities: [1, 2] })), 400],
  ['an upper-case entity', backfill(window({ entities: ['PEDIDOS'] })), 400],
  ['1,000 unknown fields', backfill(JSON.stringify(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i])))), 400],
  ['1,000 unknown entities', backfill(window({ entities: Array.from({ length: 1000 }, (_, i) => `e${i}`) })), 400],
  ['dryRun as a string', backfill(window({ dryRun: 'true' })), 400],
  ['dryRun null', backfill(window({ dryRun: null })), 400],
];

/** Requests the real host answers by itself, before any function runs: its status, an empty body. */
const REFUSED_BY_THE_HOST: [string, Request, number][] = [
  // Kestrel: "The path contains null characters" (400), an unreadable request target (400)
  ['an encoded NUL in a run id', { target: '/api/runs/%00' }, 400],
  ['an encoded NUL after a valid run id', { target: `/api/runs/${RUN_ID}%00` }, 400],
  ['an encoded NUL in a route segment', { target: '/api/%00/health' }, 400],
  ['a raw NUL byte in the path', { target: '/api/runs/a\u0000b' }, 400],
  ['a raw non-ASCII byte in the path', { target: '/api/runs/\u00e9' }, 400],
  ['a raw space in the path', { target: '/api/runs/a b' }, 400],
  ['an asterisk target', { target: '*' }, 400],
  // no function takes this method on this path: the real host answers 404, not 405
  ['GET /api/backfill', { target: '/api/backfill' }, 404],
  ['PUT /api/backfill', { method: 'PUT', target: '/api/backfill', headers: [JSON_TYPE], body: window({}) }, 404],
  ['DELETE /api/runs', { method: 'DELETE', target: '/api/runs' }, 404],
  ['DELETE a run', { method: 'DELETE', target: `/api/runs/${RUN_ID}` }, 404],
  ['POST /api/runs', { method: 'POST', target: '/api/runs', headers: [JSON_TYPE], body: '{}' }, 404],
  ['PATCH /api/health', { method: 'PATCH', target: '/api/health', headers: [JSON_TYPE], body: '{}' }, 404],
  ['HEAD /api/health', { method: 'HEAD', target: '/api/health' }, 404],
  ['OPTIONS /api/backfill', { method: 'OPTIONS', target: '/api/backfill' }, 404],
  // no function takes this path
  ['an unknown route', { target: '/api/nothing' }, 404],
  ['a step under a run', { target: `/api/runs/${RUN_ID}/steps` }, 404],
  ['the route prefix alone', { target: '/api' }, 404],
  ['the root', { target: '/' }, 404],
  ['a route outside /api', { target: '/runs' }, 404],
  ['a path under backfill', { method: 'POST', target: '/api/backfill/x', headers: [JSON_TYPE], body: window({}) }, 404],
];

/** Rows and a checksum of the content of every table of a database, by table name. */
async function tableContents(db: Kysely<any>): Promise<Record<string, string>> {
  const { rows: tables } = await sql<{ name: string }>`
    select table_schema || '.' || table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1`.execute(db);
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [schema, table] = name.split('.') as [string, string];
    const { rows } = await sql<{ n: number; digest: string | null }>`
      select count(*)::int as n, md5(string_agg(t::text, '|' order by t::text)) as digest from ${sql.table(`${schema}.${table}`)} t`.execute(db);
    out[name] = `${rows[0]!.n} rows, ${rows[0]!.digest ?? 'empty'}`;
  }
  return out;
}

async function snapshot() {
  const [oltp, dw] = await Promise.all([getDatabase('oltp'), getDatabase('dw')]);
  const blobs: string[] = [];
  const blobService = BlobServiceClient.fromConnectionString(connectionString);
  for await (const container of blobService.listContainers()) {
    for await (const blob of blobService.getContainerClient(container.name).listBlobsFlat()) blobs.push(`${container.name}/${blob.name}`);
  }
  const messages: Record<string, number> = {};
  const queueService = QueueServiceClient.fromConnectionString(connectionString);
  for await (const queue of queueService.listQueues()) {
    messages[queue.name] = (await queueService.getQueueClient(queue.name).getProperties()).approximateMessagesCount ?? 0;
  }
  return { oltp: await tableContents(oltp.db), dw: await tableContents(dw.db), blobs, messages };
}

let before: Awaited<ReturnType<typeof snapshot>>;

beforeAll(async () => {
  ({ host, connectionString } = await startTestHost({ container: 'raw-malformed-test', httpPort: 0, log: (l) => logs.push(l) }));
  // the databases as a first request would leave them (migrated), so only the corpus can change them
  before = await snapshot();
});

afterAll(() => stopTestHost());

describe('the malformed-request corpus', () => {
  it('is large enough to mean something', () => {
    expect(REFUSED_BY_FUNCTIONS.length + REFUSED_BY_THE_HOST.length).toBeGreaterThanOrEqual(60);
    expect(new Set([...REFUSED_BY_FUNCTIONS, ...REFUSED_BY_THE_HOST].map(([name]) => name)).size).toBe(
      REFUSED_BY_FUNCTIONS.length + REFUSED_BY_THE_HOST.length,
    );
  });

  it('counts every table the API can write', () => {
    const written: (keyof WarehouseTables)[] = ['etl.run', 'etl.run_step', 'etl.batch', 'etl.lease', 'etl.watermark'];
    for (const table of written) expect(Object.keys(before.dw)).toContain(table);
    for (const schema of ['stg.', 'ods.', 'dw.']) expect(Object.keys(before.dw).some((t) => t.startsWith(schema))).toBe(true);
  });

  it.each(REFUSED_BY_FUNCTIONS)('refused by the function with a JSON answer: %s', async (_name, req, status) => {
    const res = await request(req);
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status, type: 'application/json' });
    const json = JSON.parse(res.body) as { error?: unknown };
    expect(Object.keys(json)).toEqual(['error']);
    expect(typeof json.error).toBe('string');
    expect((json.error as string).length).toBeGreaterThan(10);
    expect((json.error as string).length).toBeLessThan(500);
  });

  it.each(REFUSED_BY_THE_HOST)('answered by the host as the real host does: %s', async (_name, req, status) => {
    const res = await request(req);
    expect({ status: res.status, body: res.body }).toEqual({ status, body: '' });
  });

  it('wrote nothing: every table as it was, no blob, no queue message; no function failed', async () => {
    const after = await snapshot();
    expect(after.dw).toEqual(before.dw);
    expect(after.oltp).toEqual(before.oltp);
    expect(after.blobs).toEqual([]);
    expect(Object.values(after.messages).filter((n) => n > 0)).toEqual([]);
    expect(logs.filter((l) => / failed: /.test(l))).toEqual([]);
  });

  it('the host still answers', async () => {
    const res = await request({ target: '/api/health' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ ok: true });
  });
});
