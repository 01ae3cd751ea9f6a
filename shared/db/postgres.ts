// PostgreSQL server (Azure Database for PostgreSQL, or any PostgreSQL >= 15) through `pg`.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Kysely, PostgresDialect } from 'kysely';
import { batches, type Database } from './database.js';
import { copyStatement, encodeCopyRow } from './copy-text.js';
import { PG_PARSERS } from './pg-types.js';

export async function openPostgres<DB = any>(url: string, description: string): Promise<Database<DB>> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 5,
    options: '-c TimeZone=UTC',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => PG_PARSERS[oid] ?? pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection can be closed under us (server restart, failover, admin terminate); the pool
  // drops it and opens a new one on demand. Without a listener Node would treat the 'error' event
  // as fatal and bring the whole worker down.
  pool.on('error', (e: Error & { code?: string }) => console.warn(`${description}: idle connection closed (${e.code ?? e.message}); it will be replaced`));
  // Fail fast with a clear message instead of on the first query.
  const probe = await pool.connect();
  probe.release();
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    engine: 'postgres',
    description,
    db,
    async bulkInsert(table, rows, options) {
      const client = await pool.connect();
      try {
        const stream = client.query(
          copyFrom(
            copyStatement(
              table.schema,
              table.name,
              table.columns.map((c) => c.name),
              'STDIN',
            ),
          ),
        );
        const source = Readable.from(
          (async function* () {
            for await (const batch of batches(rows, options?.batchSize ?? 5000)) yield batch.map(encodeCopyRow).join('');
          })(),
        );
        await pipeline(source, stream);
        return Number(stream.rowCount);
      } finally {
        client.release();
      }
    },
    async close() {
      await db.destroy();
    },
  };
}
