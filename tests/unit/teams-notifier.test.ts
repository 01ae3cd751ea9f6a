import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type * as AC from 'adaptivecards';
import { alertTimes, type FinalFailureAlert } from '../../shared/alerts/alert.js';
import { teamsMessage } from '../../shared/alerts/teams-card.js';
import { createTeamsNotifier } from '../../shared/alerts/teams-notifier.js';

// adaptivecards' lib/ is ESM without file extensions (Node cannot load it); its dist/ UMD bundle
// loads under plain require, and parsing a card touches no DOM (only rendering does).
const AdaptiveCards = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as typeof AC;

// The webhook URL is a secret: its query carries the flow's signature. No warning may contain it.
const SECRET = 'SECRET123';

interface Received {
  path: string;
  contentType: string | undefined;
  body: string;
}

/** A local webhook: /ok answers 202 (as Workflows does), /fail answers 500, /hang never answers. */
let server: Server;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      received.push({ path, contentType: req.headers['content-type'], body });
      if (path === '/hang') return; // never answers: the notifier's timeout has to end it
      res.writeHead(path === '/ok' ? 202 : 500, { 'content-type': 'text/plain' }).end(path === '/ok' ? '' : 'flow failed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections(); // the /hang requests are still open
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
});

const alertFor = (runId: string): FinalFailureAlert => ({
  job: 'daily-elt',
  runId,
  step: 'facts',
  entity: 'vendas',
  error: 'QualityGateError: fact_vendas_money_identities failed',
  check: 'fact_vendas_money_identities',
  at: new Date('2026-11-30T03:04:05Z'),
});

/** A notifier whose warnings are collected, so a test can read every logged word. */
function notifierFor(url: string | undefined, timeoutMs = 5000, rememberRuns?: number) {
  const warnings: string[] = [];
  const log = { warn: (msg: string, props?: Record<string, unknown>) => void warnings.push(JSON.stringify({ msg, props })) };
  return { notifier: createTeamsNotifier(url, { timeoutMs, log, rememberRuns }), warnings };
}

const url = (path: string) => `${base}${path}?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sig=${SECRET}`;

describe('Teams notifier', () => {
  it('posts a Workflows message whose card parses cleanly as Adaptive Card 1.4 and carries the run, error and both times', async () => {
    const { notifier, warnings } = notifierFor(url('/ok'));
    const alert = alertFor('20261130T030000Z-ab12');
    await expect(notifier.notify(alert)).resolves.toBe('sent');
    expect(received).toHaveLength(1);
    expect(received[0]!.contentType).toBe('application/json');

    const message = JSON.parse(received[0]!.body) as { type: string; attachments: { contentType: string; contentUrl: null; content: unknown }[] };
    expect(message.type).toBe('message');
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(message.attachments[0]!.contentUrl).toBeNull();

    const card = new AdaptiveCards.AdaptiveCard();
    const context = new AdaptiveCards.SerializationContext();
    card.parse(message.attachments[0]!.content, context);
    const events = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message);
    expect(events).toEqual([]);
    expect(card.version.toString()).toBe('1.4');

    const title = card.getItemAt(0) as AC.TextBlock;
    expect(title.text).toBe('Pipeline run failed');
    expect(title.color).toBe(AdaptiveCards.TextColor.Attention);
    const facts = Object.fromEntries((card.getItemAt(1) as AC.FactSet).facts.map((f) => [f.name, f.value]));
    const { utc, saoPaulo } = alertTimes(alert.at);
    expect(facts).toEqual({
      Job: 'daily-elt',
      Run: alert.runId,
      Step: 'facts',
      Entity: 'vendas',
      Check: 'fact_vendas_money_identities',
      Error: alert.error,
      'Time (UTC)': utc,
      'Time (São Paulo)': saoPaulo,
      Details: '/api/runs/20261130T030000Z-ab12',
    });
    expect(saoPaulo).toBe('2026-11-30 00:04:05 America/Sao_Paulo');
    expect(warnings).toEqual([]);
  });

  it('the card check above would catch a bad card (the parser reports unknown types and bad values)', () => {
    const context = new AdaptiveCards.SerializationContext();
    new AdaptiveCards.AdaptiveCard().parse(
      {
        type: 'AdaptiveCard',
        version: '1.4',
        body: [
          { type: 'Factset', facts: [] },
          { type: 'TextBlock', text: 't', color: 'red' },
        ],
      },
      context,
    );
    expect(context.eventCount).toBe(2);
  });

  it('a failure without step, entity or check makes a card without those facts, still clean, error kept on one line', () => {
    const message = teamsMessage({ job: 'backfill', runId: 'bf-1', error: 'Error: a\n  at b', at: new Date('2026-07-01T00:00:00Z') }) as {
      attachments: { content: unknown }[];
    };
    const card = new AdaptiveCards.AdaptiveCard();
    const context = new AdaptiveCards.SerializationContext();
    card.parse(message.attachments[0]!.content, context);
    expect(context.eventCount).toBe(0);
    expect((card.getItemAt(1) as AC.FactSet).facts.map((f) => [f.name, f.value])).toEqual([
      ['Job', 'backfill'],
      ['Run', 'bf-1'],
      ['Error', 'Error: a at b'],
      ['Time (UTC)', '2026-07-01 00:00:00 UTC'],
      ['Time (São Paulo)', '2026-06-30 21:00:00 America/Sao_Paulo'],
      ['Details', '/api/runs/bf-1'],
    ]);
  });

  it('posts once per run: a second notify for the same run is skipped without a request', async () => {
    const { notifier } = notifierFor(url('/ok'));
    await expect(notifier.notify(alertFor('run-a'))).resolves.toBe('sent');
    await expect(notifier.notify(alertFor('run-a'))).resolves.toBe('skipped');
    await expect(notifier.notify(alertFor('run-b'))).resolves.toBe('sent');
    expect(received.map((r) => JSON.parse(r.body).attachments[0].content.body[1].facts[1].value)).toEqual(['run-a', 'run-b']);
  });

  it('remembers a bounded number of runs, forgetting the oldest first', async () => {
    const { notifier } = notifierFor(url('/ok'), 5000, 2);
    for (const run of ['r1', 'r2', 'r3']) await expect(notifier.notify(alertFor(run))).resolves.toBe('sent');
    await expect(notifier.notify(alertFor('r3'))).resolves.toBe('skipped'); // still remembered
    await expect(notifier.notify(alertFor('r1'))).resolves.toBe('sent'); // forgotten: r3 and r2 pushed it out
    expect(received).toHaveLength(4);
  });

  it('is off with an empty or missing URL: skipped, no request, no warning', async () => {
    for (const off of [undefined, '', '   ']) {
      const { notifier, warnings } = notifierFor(off);
      await expect(notifier.notify(alertFor('run-off'))).resolves.toBe('skipped');
      expect(warnings).toEqual([]);
    }
    expect(received).toEqual([]);
  });

  it('a receiver answering 500 gives failed, without throwing, and a warning without the URL', async () => {
    const { notifier, warnings } = notifierFor(url('/fail'));
    await expect(notifier.notify(alertFor('run-500'))).resolves.toBe('failed');
    expect(received).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('HTTP 500');
    expect(warnings.join('\n')).not.toContain(SECRET);
    expect(warnings.join('\n')).not.toContain(base);
  });

  it('a receiver that never answers gives failed within about the timeout, and a warning without the URL', async () => {
    const { notifier, warnings } = notifierFor(url('/hang'), 300);
    const started = performance.now();
    await expect(notifier.notify(alertFor('run-hang'))).resolves.toBe('failed');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
    expect(received).toHaveLength(1); // the request arrived: it was the answer that never came
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('timed out');
    expect(warnings.join('\n')).not.toContain(SECRET);
  });

  it('a refused connection gives failed, without throwing, and a warning without the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { notifier, warnings } = notifierFor(`http://127.0.0.1:${port}/ok?sig=${SECRET}`);
    await expect(notifier.notify(alertFor('run-refused'))).resolves.toBe('failed');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ECONNREFUSED');
    expect(warnings.join('\n')).not.toContain(SECRET);
    expect(warnings.join('\n')).not.toContain(String(port));
  });

  it('an invalid URL setting gives failed and a warning naming the setting, never its value, and posts nothing', async () => {
    const invalid = [
      `http://example.com/hook?sig=${SECRET}`,
      `ftp://127.0.0.1/hook?sig=${SECRET}`,
      `not a url ${SECRET}`,
      `https://exa mple.com/hook?sig=${SECRET}`,
    ];
    for (const value of invalid) {
      const { notifier, warnings } = notifierFor(value);
      await expect(notifier.notify(alertFor('run-invalid'))).resolves.toBe('failed');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('ALERT_TEAMS_WEBHOOK_URL is not a valid https URL');
      expect(warnings.join('\n')).not.toContain(SECRET);
    }
    expect(received).toEqual([]);
  });
});
