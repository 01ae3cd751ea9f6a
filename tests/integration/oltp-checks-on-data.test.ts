// The blocking OLTP checks pass on every kind of data the product produces: the seed, the
// incremental day on top of it, and the Superstore import.
import type { Database } from '../../shared/db/database.js';
import { importSuperstore } from '../../shared/import/superstore.js';
import { runChecks } from '../../shared/oltp/check-runner.js';
import { seedBase } from '../../shared/seed/base.js';
import { runIncrementalDay } from '../../shared/seed/incremental.js';
import { superstorePath } from '../helpers/datasets.js';
import { testEngines, withFreshDatabase } from '../helpers/engines.js';

const blockingFailures = async (database: Database) =>
  (await runChecks(database.db)).filter((r) => r.severity === 'blocking' && r.failing > 0).map((r) => `${r.name}: ${r.failing}`);

describe.each(testEngines())('OLTP checks on produced data ($name)', (engine) => {
  it('pass after the seed and after the incremental day', async () => {
    await withFreshDatabase(engine, 'oltp', async (database) => {
      const asOf = new Date('2026-06-01T00:00:00.000Z');
      await seedBase(database, { scale: 0.03, seed: 42, asOf });
      expect(await blockingFailures(database)).toEqual([]);
      await runIncrementalDay(database, { at: new Date('2026-06-01T10:00:00.000Z'), seed: 42 });
      expect(await blockingFailures(database)).toEqual([]);
    });
  });

  it('pass after the Superstore import', async () => {
    await withFreshDatabase(engine, 'oltp', async (database) => {
      await importSuperstore(database, superstorePath(), { at: new Date('2026-06-01T00:00:00.000Z') });
      expect(await blockingFailures(database)).toEqual([]);
    });
  });
});
