// Health of the app for GET /api/health (anonymous) and monitoring probes: up or degraded, the
// warehouse schema against the code, the last run, freshness, and whether each database answers.
// Anonymous, so the answer holds no host, user or database name and no driver error text (they
// name servers and logins): a failure is logged here, on the server, and answered as ok: false.
import { sql } from 'kysely';
import type { DatabaseRole } from '../sql/migrations/index.js';
import { getOltpDatabase, getWarehouseDatabase } from './db/connections.js';
import type { Database } from './db/database.js';
import { readClock } from './db/portable-sql.js';
import type { OltpTables, WarehouseTables } from './db/schema/index.js';
import { expectedVersion, readSchemaVersion, SchemaVersionError, type SchemaVersion } from './db/schema-version.js';
import { listRuns } from './pipeline/run-report.js';
import { newestWatermark } from './quality/load-health-checks.js';
import type { Logger } from './telemetry/logger.js';
import { errorOf } from './telemetry/run-telemetry.js';

export interface DependencyHealth {
  name: DatabaseRole;
  /** it answered a query (the warehouse: also when its schema is behind; `schema` says so) */
  ok: boolean;
  latencyMs: number;
}

export interface Health {
  /** up: both databases answer and the warehouse schema is current */
  status: 'up' | 'degraded';
  /** status === 'up': the earlier answer's field, kept for probes written against it */
  ok: boolean;
  schema: Pick<SchemaVersion, 'version' | 'expected' | 'current'>;
  /** the newest run (null: none yet, or the warehouse could not be read) */
  lastRun: { status: string; finishedAt: string | null } | null;
  /** the newest watermark and its lag behind the source's clock (null: nothing loaded yet, or unreadable; lagMinutes null: the source did not answer) */
  freshness: { newestWatermark: string; lagMinutes: number | null } | null;
  dependencies: DependencyHealth[];
}

const elapsed = (started: number) => Math.round(performance.now() - started);

/** Opens (shared connections) and pings one database; a failure is logged with its reason and answered as ok: false. */
async function probe<T>(
  name: DatabaseRole,
  open: () => Promise<Database<T>>,
  log: Logger,
): Promise<{ dependency: DependencyHealth; database?: Database<T>; behind?: SchemaVersionError }> {
  const started = performance.now();
  try {
    const database = await open();
    await sql`select 1 as ok`.execute(database.db);
    return { dependency: { name, ok: true, latencyMs: elapsed(started) }, database };
  } catch (e) {
    // in Azure the warehouse refuses to open on an old schema: it answered, its schema is the problem
    if (e instanceof SchemaVersionError) {
      log.warn('health: the warehouse schema is behind the code', { error: e.message });
      return { dependency: { name, ok: true, latencyMs: elapsed(started) }, behind: e };
    }
    log.warn(`health: the ${name} database is unavailable`, { error: errorOf(e).error });
    return { dependency: { name, ok: false, latencyMs: elapsed(started) } };
  }
}

/** What the warehouse says about itself: schema version, last run, newest watermark (and its lag on the source's clock). */
async function readWarehouse(dw: Database<WarehouseTables>, oltp: Database<OltpTables> | undefined, log: Logger) {
  const schema = await readSchemaVersion(dw, 'dw');
  const [run] = await listRuns(dw.db, 1);
  const newest = await newestWatermark(dw.db).executeTakeFirst();
  let freshness: Health['freshness'] = null;
  if (newest) {
    const highWater = new Date(newest.high_water);
    let lagMinutes: number | null = null;
    if (oltp) {
      try {
        // the watermarks are instants of the source's clock, never this process's (DESIGN §4.1)
        lagMinutes = Math.round((((await readClock(oltp.db)).getTime() - highWater.getTime()) / 60_000) * 10) / 10;
      } catch (e) {
        log.warn('health: could not read the source clock', { error: errorOf(e).error });
      }
    }
    freshness = { newestWatermark: highWater.toISOString(), lagMinutes };
  }
  return { schema, lastRun: run ? { status: run.status, finishedAt: run.finishedAt } : null, freshness };
}

export async function checkHealth(log: Logger): Promise<Health> {
  const [oltp, dw] = await Promise.all([probe('oltp', getOltpDatabase, log), probe('dw', getWarehouseDatabase, log)]);
  let schema: Health['schema'] = dw.behind
    ? { version: dw.behind.schema.version, expected: dw.behind.schema.expected, current: false }
    : { version: null, expected: expectedVersion('dw'), current: false };
  let lastRun: Health['lastRun'] = null;
  let freshness: Health['freshness'] = null;
  if (dw.database) {
    try {
      const read = await readWarehouse(dw.database, oltp.database, log);
      schema = { version: read.schema.version, expected: read.schema.expected, current: read.schema.current };
      ({ lastRun, freshness } = read);
    } catch (e) {
      log.warn('health: could not read the warehouse', { error: errorOf(e).error });
      dw.dependency.ok = false;
    }
  }
  const dependencies = [oltp.dependency, dw.dependency];
  const status = dependencies.every((d) => d.ok) && schema.current ? 'up' : 'degraded';
  return { status, ok: status === 'up', schema, lastRun, freshness, dependencies };
}
