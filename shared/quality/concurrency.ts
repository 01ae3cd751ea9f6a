// When the checks of a gate may run at the same time, and how many at once. The whole-warehouse
// phase runs on the connection pools after the fact load has committed (and `dw:check` outside
// any load): there, checks that read different tables, and the source and warehouse sides of a
// reconciliation (two databases), run side by side, so the phase takes about as long as its
// longest read instead of the sum of all of them. Inside a load's transaction (one connection)
// and on PGlite (one connection for both roles) nothing would overlap: they run one after another.
import { PGliteAdapter, type Kysely } from 'kysely';

/** Checks of one gate running at once on pools: a few, well within the pools' 5 connections. */
export const CONCURRENT_CHECKS = 3;

/** True when every given database is a pool: not a transaction, not the single PGlite connection. */
export function onPools(...dbs: readonly (Kysely<any> | undefined)[]): boolean {
  return dbs.every((db) => db === undefined || (!db.isTransaction && !(db.getExecutor().adapter instanceof PGliteAdapter)));
}

/** Both results: at once on pools, else the first then the second. */
export async function both<A, B>(concurrent: boolean, first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
  if (concurrent) return Promise.all([first(), second()]);
  const a = await first();
  return [a, await second()];
}

/**
 * Runs `work` for every item, at most `limit` at a time, starting them in `start` order (indices
 * into items); results come back in the items' order. A rejected item does not stop the others
 * (the caller's work catches what it wants recorded); the first rejection is rethrown at the end.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
  start: readonly number[] = items.map((_, i) => i),
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < start.length) {
      const i = start[next++]!;
      try {
        results[i] = await work(items[i]!);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length > 0) throw errors[0];
  return results;
}
