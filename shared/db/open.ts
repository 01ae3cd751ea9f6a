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

export async function openDatabase(target: ConnectionTarget): Promise<Database> {
  const description = describeTarget(target);
  try {
    // Engines are imported lazily so a pglite-only run never loads tedious, and vice versa.
    switch (target.engine) {
      case 'pglite':
        return await (await import('./pglite.js')).openPglite(target.dataDir, description);
      case 'postgres':
        return await (await import('./postgres.js')).openPostgres(target.url, description);
      case 'mssql':
        return await (await import('./mssql.js')).openMssql(target.connectionString, description);
    }
  } catch (e) {
    throw new DatabaseConnectError(description, e);
  }
}
