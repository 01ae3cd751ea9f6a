// Opens the engine a connection setting names. Everything above shared/db sees only Database.
import { resolve } from 'node:path';
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

/**
 * The embedded folder a target names, as one key per folder: two settings naming the same
 * folder (the default: source and warehouse in one embedded database) get one PGlite instance.
 */
export function embeddedFolder(target: ConnectionTarget): string | null {
  return target.engine === 'pglite' && target.dataDir !== null ? resolve(target.dataDir) : null;
}

/** Embedded instances open in this process, by folder, with how many openers hold each. */
const embedded = new Map<string, { opened: Promise<Database>; holders: number }>();

/**
 * DB is the schema the caller expects there (see getDatabase); untyped by default.
 *
 * A PGlite folder is opened once per process, whoever asks: two PGlite instances on one folder
 * would corrupt it, and each instance holds its own WebAssembly heap (250-400 MB), which is why
 * source and warehouse share one when their settings name the same folder (their schemas do not
 * collide). Every opener gets the same Database; it closes when the last one closes it.
 */
export async function openDatabase<DB = any>(target: ConnectionTarget): Promise<Database<DB>> {
  const folder = embeddedFolder(target);
  if (folder === null) return (await openEngine(target)) as Database<DB>;
  let entry = embedded.get(folder);
  if (!entry) {
    entry = { opened: openEngine(target), holders: 0 };
    embedded.set(folder, entry);
    // a failed open is not kept: the next caller tries again
    entry.opened.catch(() => embedded.delete(folder));
  }
  entry.holders++;
  let database: Database;
  try {
    database = await entry.opened;
  } catch (e) {
    entry.holders--;
    throw e;
  }
  const held = entry;
  let closed = false;
  return {
    ...database,
    async close() {
      if (closed) return;
      closed = true;
      if (--held.holders > 0) return;
      embedded.delete(folder);
      await database.close();
    },
  } as Database<DB>;
}

async function openEngine(target: ConnectionTarget): Promise<Database> {
  const description = describeTarget(target);
  try {
    // Engines are imported lazily so a pglite-only run never loads tedious, and vice versa.
    switch (target.engine) {
      case 'pglite':
        if (target.dataDir !== null) await (await import('./pglite-initdb.js')).initEmbeddedFolder(resolve(target.dataDir));
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
