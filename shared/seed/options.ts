// Command-line values of `npm run seed` and `npm run seed:incremental`, checked and converted.
// Kept apart from scripts/ so tests and the local host can validate the same way; bad values
// raise SeedError with a message that names the flag and what it expects.
import { MAX_SCALE, type SeedBaseOptions } from './base.js';
import { SeedError } from './errors.js';
import { DAY, parseIsoDate, startOfDay } from './time.js';

export const DEFAULT_SEED = 42;

function parseSeed(text: string | undefined): number {
  if (text === undefined) return DEFAULT_SEED;
  if (!/^\d{1,15}$/.test(text.trim())) throw new SeedError(`--seed must be a non-negative integer, got '${text}'`);
  return Number(text.trim());
}

/** --scale N (default 1), --seed S (default 42), --as-of YYYY-MM-DD (default: today 00:00 UTC). */
export function parseSeedFlags(values: { scale?: string; seed?: string; 'as-of'?: string }, nowMs: number): Omit<SeedBaseOptions, 'log'> {
  let scale = 1;
  if (values.scale !== undefined) {
    const text = values.scale.trim();
    scale = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
    if (!(scale > 0 && scale <= MAX_SCALE)) {
      throw new SeedError(`--scale must be a number > 0 and <= ${MAX_SCALE} (1 = about 20,000 orders; 0.05 for a quick try), got '${values.scale}'`);
    }
  }
  let asOf = startOfDay(nowMs);
  if (values['as-of'] !== undefined) {
    const parsed = parseIsoDate(values['as-of'].trim());
    if (parsed === null) throw new SeedError(`--as-of must be a calendar date YYYY-MM-DD (the data ends at 00:00 UTC that day), got '${values['as-of']}'`);
    if (parsed > startOfDay(nowMs) + DAY) throw new SeedError(`--as-of ${values['as-of']} is in the future; the base seed only writes the past`);
    asOf = parsed;
  }
  return { scale, seed: parseSeed(values.seed), asOf: new Date(asOf) };
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** --at ISO-8601 instant with Z or an offset (default: now, ms precision), --seed S (default 42). */
export function parseIncrementalFlags(values: { at?: string; seed?: string }, nowMs: number): { at: Date; seed: number } {
  let at = nowMs;
  if (values.at !== undefined) {
    const text = values.at.trim();
    const ms = ISO_INSTANT.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(ms)) throw new SeedError(`--at must be an ISO-8601 instant with a time zone, e.g. 2026-03-01T12:00:00.000Z, got '${values.at}'`);
    at = ms;
  }
  return { at: new Date(at), seed: parseSeed(values.seed) };
}
