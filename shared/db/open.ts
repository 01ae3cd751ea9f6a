// Opens the engine a connection setting names. Everything above shared/db sees only Database.
import { describeTarget, type ConnectionTarget } from './connection-string.js';
import type { Database } from './database.js';

export class DatabaseConnectError extends Error {
  constructor(
    readonly target: string,
    cause: unknown,
  ) {
    super(`Cannot connect to ${target}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseConnectError';
  }
}

/** DB is the schema the caller expects there (see getDatabase); untyped by default. */
export async function openDatabase<DB = any>(target: ConnectionTarget): Promise<Database<DB>> {
  const description = describeTarget(target);
  try {
    // Engines are imported lazily so a pglite-only run never loads tedious, and vice versa.
    switch (target.engine) {
      case 'pglite':
        return await (await import('./pglite.js')).openPglite<DB>(target.dataDir, description);
      case 'postgres':
        return await (await import('./postgres.js')).openPostgres<DB>(target.url, description);
      case 'mssql':
        return await (await import('./mssql.js')).openMssql<DB>(target.connectionString, description);
    }
  } catch (e) {
    throw new DatabaseConnectError(description, e);
  }
}
