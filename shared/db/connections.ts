// One open Database per role per process. Azure Functions reuses a worker process across
// invocations, so connections (and an embedded PGlite instance, which must have a single owner)
// are opened once and shared, never per call.
import { loadSettings } from '../config/settings.js';
import type { DatabaseRole } from '../../sql/migrations/index.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { openDatabase } from './open.js';
import type { OltpTables, SchemaOf, WarehouseTables } from './schema/index.js';

const open = new Map<DatabaseRole, Promise<Database>>();

/** The migrated database for a role, typed with its schema, opened on first use with the current settings. */
export function getDatabase<R extends DatabaseRole>(role: R): Promise<Database<SchemaOf<R>>> {
  let p = open.get(role);
  if (!p) {
    p = (async () => {
      const settings = loadSettings();
      const database = await openDatabase(role === 'oltp' ? settings.OLTP_CONNECTION_STRING : settings.DW_CONNECTION_STRING);
      await migrate(database, role);
      return database;
    })();
    // A failed open is not cached: the next invocation tries again.
    p.catch(() => open.delete(role));
    open.set(role, p);
  }
  // one map for both roles: the entry for `role` was opened with that role's schema
  return p as Promise<Database<SchemaOf<R>>>;
}

/** The OLTP source database, typed with its schema. */
export function getOltpDatabase(): Promise<Database<OltpTables>> {
  return getDatabase('oltp');
}

/** The warehouse database (dw, etl, ods, stg), typed with its schema. */
export function getWarehouseDatabase(): Promise<Database<WarehouseTables>> {
  return getDatabase('dw');
}

export async function closeAllDatabases(): Promise<void> {
  const all = [...open.values()];
  open.clear();
  await Promise.allSettled(all.map(async (p) => (await p).close()));
}
