// An in-process stand-in for the Application Insights ingestion endpoint: HTTPS with a
// self-signed certificate for 127.0.0.1 (a child process trusts it through NODE_EXTRA_CA_CERTS),
// collecting the envelopes the SDK posts to /v2.1/track. `connectionString` points the SDK at it.
import { createServer, type Server } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import selfsigned from 'selfsigned';

export interface Envelope {
  name: string;
  time: string;
  data: { baseType: string; baseData: Record<string, unknown> };
}

export interface FakeIngestion {
  connectionString: string;
  /** the PEM file of its certificate, for NODE_EXTRA_CA_CERTS */
  caFile: string;
  envelopes: Envelope[];
  /** the raw request bodies, for searching every byte that was sent */
  bodies: string[];
  close(): Promise<void>;
}

export const FAKE_IKEY = '00000000-0000-4000-8000-000000000001';

export async function startFakeIngestion(): Promise<FakeIngestion> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const dir = mkdtempSync(join(tmpdir(), 'fake-ingestion-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pems.cert);
  const envelopes: Envelope[] = [];
  const bodies: string[] = [];
  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const text = body.toString('utf8');
      bodies.push(text);
      let accepted = 0;
      if (req.method === 'POST' && req.url?.startsWith('/v2.1/track')) {
        const items = JSON.parse(text) as Envelope[];
        envelopes.push(...items);
        accepted = items.length;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: accepted, itemsAccepted: accepted, errors: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    connectionString: `InstrumentationKey=${FAKE_IKEY};IngestionEndpoint=https://127.0.0.1:${port}/`,
    caFile,
    envelopes,
    bodies,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The custom events among the envelopes: name, properties, measurements. */
export function customEvents(envelopes: Envelope[]): { name: string; properties: Record<string, string>; measurements: Record<string, number> }[] {
  return envelopes
    .filter((e) => e.data.baseType === 'EventData')
    .map((e) => ({
      name: e.data.baseData.name as string,
      properties: (e.data.baseData.properties ?? {}) as Record<string, string>,
      measurements: (e.data.baseData.measurements ?? {}) as Record<string, number>,
    }));
}

/** The metrics among the envelopes: name, value, properties. */
export function metrics(envelopes: Envelope[]): { name: string; value: number; properties: Record<string, string> }[] {
  return envelopes
    .filter((e) => e.data.baseType === 'MetricData')
    .flatMap((e) =>
      (e.data.baseData.metrics as { name: string; value: number }[]).map((m) => ({
        name: m.name,
        value: m.value,
        properties: (e.data.baseData.properties ?? {}) as Record<string, string>,
      })),
    );
}
