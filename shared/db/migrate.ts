// Applies the versioned migrations in sql/migrations to one database. Kysely's Migrator records
// each applied migration in kysely_migration and holds a lock while it runs, so running it twice
// (or from two processes) applies every migration exactly once.
import { Migrator } from 'kysely/migration';
import { MIGRATIONS, type DatabaseRole } from '../../sql/migrations/index.js';
import type { Database } from './database.js';

export class MigrationError extends Error {
  constructor(
    readonly role: DatabaseRole,
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(`Migration ${migration ?? '(runner)'} of the ${role} database failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

// Migrations see the database as Kysely<any> (Kysely's documented type for them): each one runs
// against the schema as the earlier ones left it, not the typed schema of shared/db/schema.
export async function migrate(database: Database, role: DatabaseRole): Promise<{ applied: string[] }> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => MIGRATIONS[role] },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(role, failed, error);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
