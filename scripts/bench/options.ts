// The flags of `npm run bench`, checked: a bad value is a BenchUsageError naming the flag and
// what it expects (the command exits 2 with it).
import { parseArgs } from 'node:util';

export class BenchUsageError extends Error {}

export const USAGE =
  'usage: npm run bench -- [--engine postgres|pglite] [--scales 5,10] [--rounds 3] [--sample 2000] [--out path.json] [--as-of YYYY-MM-DD] [--seed 42]';

/** The base seed's last day: fixed, so every bench run (and the lead's re-run) loads the same rows. */
export const DEFAULT_AS_OF = '2026-11-01';

export interface BenchOptions {
  engine: 'postgres' | 'pglite';
  scales: number[];
  rounds: number;
  sample: number;
  out: string | null;
  asOf: string;
  seed: number;
}

function positiveInt(flag: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > max)
    throw new BenchUsageError(`--${flag} must be an integer from 1 to ${max}, got '${text}'`);
  return Number(text);
}

export function parseBenchOptions(args: string[]): BenchOptions {
  let values: Record<string, string | undefined>;
  try {
    const parsed = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        engine: { type: 'string' },
        scales: { type: 'string' },
        rounds: { type: 'string' },
        sample: { type: 'string' },
        out: { type: 'string' },
        'as-of': { type: 'string' },
        seed: { type: 'string' },
      },
    });
    values = parsed.values as Record<string, string | undefined>;
  } catch (e) {
    throw new BenchUsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const engine = values.engine ?? 'postgres';
  if (engine !== 'postgres' && engine !== 'pglite') throw new BenchUsageError(`--engine must be postgres or pglite, got '${engine}'`);
  const scalesText = values.scales ?? (engine === 'pglite' ? '1' : '5,10');
  const scales = scalesText.split(',').map((s) => s.trim());
  const parsedScales = scales.map((s) => (/^(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : Number.NaN));
  if (parsedScales.some((s) => !(s > 0 && s <= 100)))
    throw new BenchUsageError(`--scales must be a comma-separated list of numbers > 0 and <= 100, got '${scalesText}'`);
  if (new Set(parsedScales).size !== parsedScales.length) throw new BenchUsageError(`--scales lists a scale twice: '${scalesText}'`);
  const asOf = values['as-of'] ?? DEFAULT_AS_OF;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(`${asOf}T00:00:00Z`)))
    throw new BenchUsageError(`--as-of must be a date YYYY-MM-DD, got '${asOf}'`);
  if (Date.parse(`${asOf}T00:00:00Z`) > Date.now() - 2 * 86_400_000)
    throw new BenchUsageError(`--as-of must be at least two days ago (the incremental days are stamped yesterday and today), got '${asOf}'`);
  if (values.out !== undefined && values.out.trim() === '') throw new BenchUsageError('--out must be a file path');
  return {
    engine,
    scales: [...parsedScales].sort((a, b) => a - b),
    rounds: positiveInt('rounds', values.rounds, 3, 50),
    sample: positiveInt('sample', values.sample, 2000, 1_000_000),
    out: values.out ?? null,
    asOf,
    seed: values.seed === undefined ? 42 : positiveInt('seed', values.seed, 42, 1_000_000_000),
  };
}
