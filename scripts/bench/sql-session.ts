// A raw SQL session on one database, for the bench's own statements (the SQL-only ideal, the
// identity check, the row-by-row baseline): plain PostgreSQL text with bound parameters, on a
// PostgreSQL server (`pg`) or an embedded PGlite data dir. The bench opens its own connections
// instead of the pipeline's engine seam, so it measures the pipeline without depending on how the
// pipeline talks to its databases; migrations still go through shared/db (the same DDL).
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

export interface SqlSession {
  readonly engine: 'postgres' | 'pglite';
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

class PgSession implements SqlSession {
  readonly engine = 'postgres';
  constructor(readonly client: pg.Client) {}
  async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query(text, params)).rows as T[];
  }
  close() {
    return this.client.end();
  }
}

class PgliteSession implements SqlSession {
  readonly engine = 'pglite';
  constructor(readonly pglite: PGlite) {}
  async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pglite.query<T>(text, params)).rows;
  }
  close() {
    return this.pglite.close();
  }
}

/** `postgres://...` or `pglite:<data dir>`: the connection strings the bench hands its children. */
export async function openSession(connection: string): Promise<SqlSession> {
  let session: SqlSession;
  if (connection.startsWith('pglite:')) {
    session = new PgliteSession(await PGlite.create(connection.slice('pglite:'.length)));
  } else {
    // without JIT, as the pipeline's PostgreSQL sessions (shared/db/postgres.ts)
    const client = new pg.Client({ connectionString: connection, options: '-c jit=off' });
    client.on('error', () => undefined); // a dropped idle connection fails the next query instead of the process
    await client.connect();
    session = new PgSession(client);
  }
  // dates are cut from timestamps in UTC, as the pipeline does
  await session.query("SET TIME ZONE 'UTC'");
  return session;
}

/**
 * Copies the rows of a SELECT on `from` into `table (columns)` on `to`, as COPY bytes: a stream
 * between two server connections, or one in-memory blob between two PGlite instances.
 */
export async function copyBetween(from: SqlSession, select: string, to: SqlSession, table: string, columns: readonly string[]): Promise<void> {
  const target = `${table} (${columns.map((c) => `"${c}"`).join(', ')})`;
  if (from instanceof PgSession && to instanceof PgSession) {
    await pipeline(from.client.query(copyTo(`COPY (${select}) TO STDOUT`)), to.client.query(copyFrom(`COPY ${target} FROM STDIN`)));
  } else if (from instanceof PgliteSession && to instanceof PgliteSession) {
    const out = await from.pglite.query(`COPY (${select}) TO '/dev/blob'`);
    await to.pglite.query(`COPY ${target} FROM '/dev/blob'`, [], { blob: out.blob });
  } else {
    throw new Error('copyBetween: both sessions must be on the same engine');
  }
}
