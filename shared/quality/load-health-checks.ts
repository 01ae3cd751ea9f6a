// How the last load went, beyond its data: the rows it quarantined, and how far behind the
// source the warehouse is.
import type { Kysely } from 'kysely';
import { firstRows, nowUtc, readClock } from '../db/portable-sql.js';
import type { WarehouseTables } from '../db/schema/index.js';
import type { CheckInput, CheckOutcome, QualityCheck } from './check.js';
import type { FailingRowsDef } from './failing-rows.js';

/** The newest run (any kind, any status): the one `dw:check` reports on. */
const newestRun = (db: Kysely<WarehouseTables>) =>
  firstRows(db, db.selectFrom('etl.run').select('run_id').orderBy('started_at', 'desc').orderBy('run_id', 'desc'), 1);

export const REJECTED_ROWS: FailingRowsDef = {
  name: 'rejected_rows',
  severity: 'warning',
  phase: 'warehouse',
  description:
    'the run (without one: the newest run) quarantined no row in etl.rejected_row (each is counted, with its reason; the run fails only past REJECT_THRESHOLD_PERCENT)',
  unit: 'rows quarantined by the run',
  expected: '0 rows',
  keys: ['entity', 'seq'],
  failingRows: (db, runId) =>
    db
      .selectFrom('etl.rejected_row')
      .select(['entity', 'seq', 'business_key', 'reason'])
      .where('run_id', '=', runId ?? newestRun(db)),
};

/** The newest watermark: data is complete up to its high_water on the source's clock. */
/** The newest watermark (the freshness check's, and the freshness lag telemetry reports). */
export const newestWatermark = (db: Kysely<WarehouseTables>) =>
  firstRows(db, db.selectFrom('etl.watermark').select(['entity', 'high_water']).orderBy('high_water', 'desc').orderBy('entity'), 1);

const MINUTE_MS = 60_000;

export const FRESHNESS: QualityCheck = {
  name: 'freshness',
  severity: 'warning',
  phase: 'warehouse',
  description: "the newest etl.watermark.high_water is at most QUALITY_FRESHNESS_WARN_MINUTES behind the source's clock",
  async run(input: CheckInput): Promise<CheckOutcome> {
    // the watermarks are instants of the source's clock (DESIGN §4.1), never the function's
    if (!input.oltp) throw new Error("freshness needs the source database (input.oltp): it measures the watermarks against the source's clock");
    const limit = input.settings.QUALITY_FRESHNESS_WARN_MINUTES;
    const expected = `at most ${limit} min behind the source`;
    const clock = await readClock(input.oltp);
    const newest = await newestWatermark(input.dw).executeTakeFirst();
    if (!newest) return { failing: 1, observed: 'no watermark: nothing has been loaded yet', expected, samples: [] };
    const highWater = new Date(newest.high_water);
    const minutes = Math.floor((clock.getTime() - highWater.getTime()) / MINUTE_MS);
    const stale = minutes > limit;
    return {
      failing: stale ? 1 : 0,
      observed: `newest watermark ${highWater.toISOString()} (${newest.entity}) is ${minutes} min behind the source clock ${clock.toISOString()}`,
      expected,
      samples: stale ? [`entity=${newest.entity}, high_water=${highWater.toISOString()}`] : [],
    };
  },
  queries: (db, oltp) => [newestWatermark(db), oltp.selectNoFrom(nowUtc(oltp).as('now'))],
};
