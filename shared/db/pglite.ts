// Embedded PostgreSQL (PGlite, PostgreSQL 18 in WebAssembly): the zero-setup default engine.
import { mkdirSync } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { dirname, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect } from 'kysely';
import { batches, type CopyChannel, type Database } from './database.js';
import { copyStatement, encodeCopyRow } from './copy-text.js';
import { PG_PARSERS } from './pg-types.js';

export async function openPglite<DB = any>(dataDir: string | null, description: string): Promise<Database<DB>> {
  let pglite: PGlite;
  if (dataDir) {
    const dir = resolve(dataDir);
    // PGlite does not create parent folders itself.
    mkdirSync(dirname(dir), { recursive: true });
    pglite = await PGlite.create(dir, { parsers: PG_PARSERS });
  } else {
    pglite = await PGlite.create({ parsers: PG_PARSERS });
  }
  await pglite.exec("SET TIME ZONE 'UTC'");
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  // Statements outside Kysely still hold its connection, so none interleaves with a Kysely transaction.
  const exclusive = <T>(work: () => Promise<T>) => db.connection().execute(work);
  const copy: CopyChannel = {
    snapshot: (fn) =>
      exclusive(() =>
        pglite.transaction(async (tx) => {
          await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
          return fn({
            query: async <R>(text: string, params?: readonly unknown[]) => (await tx.query<R>(text, params ? [...params] : [])).rows,
            // PGlite writes COPY output to a Blob: the caller pages by key to bound its size.
            async *copyOut(select) {
              const result = await tx.query(`COPY (${select}) TO '/dev/blob' WITH (FORMAT text)`);
              if (result.blob) yield Buffer.from(await result.blob.arrayBuffer());
            },
          });
        }),
      ),
    query: (text, params) => exclusive(async () => (await pglite.query(text, params ? [...params] : [])).rows as never[]),
    copyIn: (table, columns, data) =>
      exclusive(async () => {
        // PGlite reads COPY input from one Blob: the bytes are gathered first
        const bytes = Buffer.isBuffer(data) ? data : await buffer(data);
        const result = await pglite.query(copyStatement(table.schema, table.name, columns, "'/dev/blob'"), [], { blob: new Blob([bytes]) });
        return result.affectedRows ?? 0;
      }),
  };
  return {
    engine: 'pglite',
    description,
    db,
    copy,
    async bulkInsert(table, rows, options) {
      const sqlText = copyStatement(
        table.schema,
        table.name,
        table.columns.map((c) => c.name),
        "'/dev/blob'",
      );
      // Hold Kysely's single-connection lock so no other query interleaves with the COPYs
      // (so: never call bulkInsert from inside a transaction on the same PGlite instance).
      return db.connection().execute(async () => {
        let count = 0;
        for await (const batch of batches(rows, options?.batchSize ?? 20000)) {
          // PGlite reads COPY input from a Blob; one Blob per batch keeps memory bounded.
          const blob = new Blob([batch.map(encodeCopyRow).join('')]);
          await pglite.query(sqlText, [], { blob });
          count += batch.length;
        }
        return count;
      });
    },
    async close() {
      await db.destroy();
    },
  };
}
