// One open Database per role per process. Azure Functions reuses a worker process across
// invocations, so connections (and an embedded PGlite instance, which must have a single owner)
// are opened once and shared, never per call.
import { loadSettings, type Settings } from '../config/settings.js';
import type { DatabaseRole } from '../../sql/migrations/index.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { embeddedFolder, openDatabase } from './open.js';
import { checkSchemaVersion } from './schema-version.js';
import type { OltpTables, SchemaOf, WarehouseTables } from './schema/index.js';

const ROLES: readonly DatabaseRole[] = ['oltp', 'dw'];

/** The connection setting of a role. */
export function targetOf(settings: Settings, role: DatabaseRole) {
  return role === 'oltp' ? settings.OLTP_CONNECTION_STRING : settings.DW_CONNECTION_STRING;
}

/**
 * The roles that live in the database a role's setting names: the role itself, or both when the
 * two settings name the same embedded folder (one PGlite instance, see open.ts). Such a database
 * is migrated with both roles' migrations whichever role opens it.
 */
export function rolesAt(settings: Settings, role: DatabaseRole): DatabaseRole[] {
  const folder = embeddedFolder(targetOf(settings, role));
  if (folder === null) return [role];
  return ROLES.filter((r) => r === role || embeddedFolder(targetOf(settings, r)) === folder);
}

/**
 * Opens a role's database ready for the code (closing it again if it is not):
 * - locally, applies its pending migrations (zero setup);
 * - in Azure (settings.inAzure) runs no DDL: the warehouse must already hold every migration of
 *   the code (SchemaVersionError otherwise: migrations are the deploy step, `npm run db:migrate`),
 *   and the OLTP, the company's own database, is neither migrated nor checked (our OLTP
 *   migrations only create the development source).
 */
export async function openMigrated<R extends DatabaseRole>(role: R, settings: Settings = loadSettings()): Promise<Database<SchemaOf<R>>> {
  const database = await openDatabase<SchemaOf<R>>(targetOf(settings, role));
  try {
    if (!settings.inAzure) await migrate(database, rolesAt(settings, role));
    else if (role === 'dw') await checkSchemaVersion(database, role);
  } catch (e) {
    await database.close();
    throw e;
  }
  return database;
}

const open = new Map<DatabaseRole, Promise<Database>>();

/** The database for a role, typed with its schema, opened on first use with the current settings (migrated or checked: openMigrated). */
export function getDatabase<R extends DatabaseRole>(role: R): Promise<Database<SchemaOf<R>>> {
  let p = open.get(role);
  if (!p) {
    p = openMigrated(role);
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
