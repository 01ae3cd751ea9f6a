// How PostgreSQL values arrive in JavaScript, the same for PGlite and the pg driver:
// bigint -> number (our ids and counts stay below 2^53; larger values fail loudly),
// numeric -> string (exact decimal, never a float), date -> 'YYYY-MM-DD' (no local-time Date
// shifted by the process time zone), timestamptz -> Date (an instant; sessions run in UTC).
const INT8 = 20;
const DATE = 1082;
const NUMERIC = 1700;

export const PG_PARSERS: Record<number, (value: string) => unknown> = {
  [INT8]: (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${v} does not fit a JavaScript number`);
    return n;
  },
  [DATE]: (v) => v,
  [NUMERIC]: (v) => v,
};
