// Debian's Chromium driven by playwright-core, for the browser tests (tests/browser/): no browser
// is ever downloaded; .ci/run installs the `chromium` package. A machine without it fails the
// tests with a message saying so, never skips them.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for a headless Chromium on a closed network: without the background-networking ones it
 * tries (and fails) to reach Google's hosts at every start. Playwright gives every launch a new,
 * empty profile (--user-data-dir in a temporary folder) itself.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: the browser tests drive Debian's Chromium. ` +
        'Install it with `apt-get install -y chromium` (.ci/run does), or set CHROMIUM_PATH.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** A browser context as a user in Brazil sees the dashboards: pt-BR, São Paulo time, a laptop's screen. */
export function brazilianContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ locale: 'pt-BR', timezoneId: 'America/Sao_Paulo', viewport: { width: 1280, height: 900 } });
}

/**
 * The pt-BR text a dashboard must show for an API value, written here independently of the
 * page's script: money in BRL (the decimal string formatted exactly, rounded to centavos),
 * ratios as percentages with 2 places, counts with thousands separators, null as an em dash.
 */
export const ptBR = {
  money: (v: string | null) => (v === null ? '—' : new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' }).format(v as unknown as number)),
  ratio: (v: string | null) =>
    v === null ? '—' : new Intl.NumberFormat('pt-BR', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v as unknown as number),
  count: (v: number | null) => (v === null ? '—' : new Intl.NumberFormat('pt-BR').format(v)),
  instant: (iso: string) => new Intl.DateTimeFormat('pt-BR', { dateStyle: 'short', timeStyle: 'short', timeZone: 'America/Sao_Paulo' }).format(new Date(iso)),
};

/** Chromium and Node may carry different ICU data: compare texts with every kind of space as one space. */
export const sameSpaces = (text: string) => text.replace(/[\s\u00a0\u202f]+/g, ' ').trim();
