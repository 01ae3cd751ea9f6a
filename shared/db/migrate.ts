// Applies the versioned migrations in sql/migrations to one database. Kysely's Migrator records
// each applied migration in kysely_migration and holds a lock while it runs, so running it twice
// (or from two processes) applies every migration exactly once.
import { Migrator } from 'kysely/migration';
import { MIGRATIONS, type DatabaseRole } from '../../sql/migrations/index.js';
import type { Database } from './database.js';

export class MigrationError extends Error {
  constructor(
    /** the role migrated, or 'oltp+dw' for one database holding both */
    readonly role: string,
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(`Migration ${migration ?? '(runner)'} of the ${role} database failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

/** Kysely's migrator over the migrations of `roles` (the one place that builds it; tests also use it to migrate to an older version). */
export function migratorFor(database: Database, roles: readonly DatabaseRole[]): Migrator {
  const migrations = Object.assign({}, ...roles.map((r) => MIGRATIONS[r])) as (typeof MIGRATIONS)[DatabaseRole];
  return new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } });
}

/**
 * Migrations see the database as Kysely<any> (Kysely's documented type for them): each one runs
 * against the schema as the earlier ones left it, not the typed schema of shared/db/schema.
 *
 * `role` may name several roles: one embedded database that holds both the source and the
 * warehouse (rolesAt in connections.ts) is always migrated with both sets, whichever role asks,
 * because Kysely's one migration table refuses a run that does not list every migration it
 * recorded. The names of the two sets do not collide (0001_oltp_schema, 0001_etl_control, ...).
 */
export async function migrate(database: Database, role: DatabaseRole | readonly DatabaseRole[]): Promise<{ applied: string[] }> {
  const roles: readonly DatabaseRole[] = typeof role === 'string' ? [role] : role;
  const { error, results } = await migratorFor(database, roles).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(roles.join('+'), failed, error);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
