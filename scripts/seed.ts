// npm run seed -- [--scale N] [--seed S] [--as-of YYYY-MM-DD]
// Fills an empty OLTP database (OLTP_CONNECTION_STRING, default pglite:.data/local) with 24
// months of deterministic marketplace data ending before --as-of. Scale 1 = about 20,000 orders.
import { seedBase } from '../shared/seed/base.js';
import { SeedError } from '../shared/seed/errors.js';
import { parseSeedFlags } from '../shared/seed/options.js';
import { isoDate } from '../shared/seed/time.js';
import { openMigrated, parseCliArgs, runCli, UsageError } from './cli.js';

/** SeedErrors are the user's to fix: print them as one line. */
async function asUsage<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof SeedError) throw new UsageError(e.message);
    throw e;
  }
}

runCli(async () => {
  const { values, positionals } = parseCliArgs({ scale: { type: 'string' }, seed: { type: 'string' }, 'as-of': { type: 'string' } });
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument '${positionals[0]}'; usage: npm run seed -- [--scale N] [--seed S] [--as-of YYYY-MM-DD]`);
  const options = await asUsage(() => parseSeedFlags(values, Date.now()));
  const database = await openMigrated('oltp');
  try {
    console.log(`seed: ${database.description}, scale ${options.scale}, seed ${options.seed}, as-of ${isoDate(options.asOf.getTime())}`);
    const started = performance.now();
    const counts = await asUsage(() => seedBase(database, { ...options, log: (line) => console.log(`  ${line}`) }));
    const width = Math.max(...Object.keys(counts).map((t) => t.length));
    let total = 0;
    for (const [table, n] of Object.entries(counts)) {
      console.log(`  ${table.padEnd(width)}  ${String(n).padStart(9)}`);
      total += n;
    }
    console.log(`seeded ${total} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await database.close();
  }
});
