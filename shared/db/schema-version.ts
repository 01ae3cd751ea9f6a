// The schema version check that replaces migrations where the app must not run DDL (in Azure:
// migrations are a deploy step, `npm run db:migrate`). Kysely's Migrator records each applied
// migration by name in kysely_migration; the database is current when every migration of the
// role's code (sql/migrations/index.ts) is recorded there. Reading it runs no DDL (the health
// endpoint reads it on every request: one small select, the catalogue only when it fails).
import { DEFAULT_MIGRATION_TABLE } from 'kysely/migration';
import { MIGRATIONS, type DatabaseRole } from '../../sql/migrations/index.js';
import type { Database } from './database.js';

export interface SchemaVersion {
  /** the newest of the role's migrations the database recorded; null: none (or no migration table) */
  version: string | null;
  /** the newest migration of the code */
  expected: string;
  /** every migration of the code is recorded */
  current: boolean;
  /** the code's migrations the database has not recorded, in order */
  missing: string[];
}

const ROLE_NAME: Record<DatabaseRole, string> = { dw: 'warehouse', oltp: 'OLTP' };

/** The database is behind the code: the app refuses to run on it until the deploy step migrates it. */
export class SchemaVersionError extends Error {
  constructor(
    readonly role: DatabaseRole,
    readonly schema: SchemaVersion,
  ) {
    super(
      `the ${ROLE_NAME[role]} schema is at ${schema.version ?? 'no migration (no kysely_migration table or an empty one)'}, the code needs ${schema.expected} ` +
        `(missing: ${schema.missing.join(', ')}); run \`npm run db:migrate\` (the deploy step)`,
    );
    this.name = 'SchemaVersionError';
  }
}

/** The migration names the database recorded: none when it has no migration table (never migrated). */
async function recordedMigrations(database: Database): Promise<Set<string>> {
  try {
    const rows = await database.db.selectFrom(DEFAULT_MIGRATION_TABLE).select('name').execute();
    return new Set(rows.map((r: { name: string }) => r.name));
  } catch (e) {
    // a missing table is "never migrated"; any other failure (the connection...) is the caller's
    const tables = await database.db.introspection.getTables({ withInternalKyselyTables: true });
    if (tables.some((t) => t.name === DEFAULT_MIGRATION_TABLE)) throw e;
    return new Set();
  }
}

/** The role's migrations in the order Kysely applies them (by name). */
const codeMigrations = (role: DatabaseRole): string[] => Object.keys(MIGRATIONS[role]).sort();

/** The newest migration of the role's code: the version a current database is at. */
export const expectedVersion = (role: DatabaseRole): string => codeMigrations(role).at(-1)!;

/** Which of the role's migrations the database recorded. Runs no DDL. */
export async function readSchemaVersion(database: Database, role: DatabaseRole): Promise<SchemaVersion> {
  const recorded = await recordedMigrations(database);
  const code = codeMigrations(role);
  const applied = code.filter((name) => recorded.has(name));
  const missing = code.filter((name) => !recorded.has(name));
  return { version: applied.at(-1) ?? null, expected: expectedVersion(role), current: missing.length === 0, missing };
}

/** Throws SchemaVersionError when the database is behind the role's code. */
export async function checkSchemaVersion(database: Database, role: DatabaseRole): Promise<SchemaVersion> {
  const schema = await readSchemaVersion(database, role);
  if (!schema.current) throw new SchemaVersionError(role, schema);
  return schema;
}
