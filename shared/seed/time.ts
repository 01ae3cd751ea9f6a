// UTC calendar helpers for the seed. Timestamps are carried as integer epoch milliseconds (the
// model's precision, DESIGN §9) and written as ISO-8601 strings with Z.

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const iso = (ms: number): string => new Date(ms).toISOString();

/** 'YYYY-MM-DD' of the UTC day containing ms. */
export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export const startOfDay = (ms: number): number => Math.floor(ms / DAY) * DAY;

export function startOfMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Same day-of-month `months` later (or earlier), clamped to the month's last day. */
export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/** Parses 'YYYY-MM-DD' as 00:00 UTC; null when it is not a real calendar date. */
export function parseIsoDate(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return isoDate(ms) === text ? ms : null;
}

/**
 * Distributes `total` events over consecutive buckets in proportion to their weights, exactly:
 * bucket i gets round(total x W(<=i) / W) - round(total x W(<i) / W), so the counts add up to
 * `total` without keeping more than one number per bucket.
 */
export function* spread(total: number, weights: readonly number[]): Generator<number> {
  const sum = weights.reduce((s, w) => s + w, 0);
  let cumulative = 0;
  let given = 0;
  for (const w of weights) {
    cumulative += w;
    const upTo = Math.round((total * cumulative) / sum);
    yield upTo - given;
    given = upTo;
  }
}
