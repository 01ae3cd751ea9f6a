// npm run seed:incremental -- [--at ISO-timestamp] [--seed S]
// Writes one deterministic day of changes (new orders, status changes, cancellations, a price
// and a category change, customers who move, a new campaign, a late-committed row) on top of
// the base seed, stamped in (at - 60 min, at]. --at defaults to now.
import { SeedError } from '../shared/seed/errors.js';
import { describeChanges, runIncrementalDay } from '../shared/seed/incremental.js';
import { parseIncrementalFlags } from '../shared/seed/options.js';
import { openMigrated, parseCliArgs, runCli, UsageError } from './cli.js';

runCli(async () => {
  const { values, positionals } = parseCliArgs({ at: { type: 'string' }, seed: { type: 'string' } });
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument '${positionals[0]}'; usage: npm run seed:incremental -- [--at ISO-timestamp] [--seed S]`);
  let options;
  try {
    options = parseIncrementalFlags(values, Date.now());
  } catch (e) {
    throw e instanceof SeedError ? new UsageError(e.message) : e;
  }
  const database = await openMigrated('oltp');
  try {
    const started = performance.now();
    const { plan, changes } = await runIncrementalDay(database, options).catch((e: unknown) => {
      throw e instanceof SeedError ? new UsageError(e.message) : e;
    });
    console.log(`incremental day ${plan.day} on ${database.description}: window (${plan.windowStart}, ${plan.at}], seed ${plan.seed}`);
    for (const line of describeChanges(changes)) console.log(`  ${line}`);
    console.log(`  status batch stamped ${plan.batchInstant}; late row (${plan.late.table}) committed last with updated_at 5 min before --at`);
    console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await database.close();
  }
});
