// PostgreSQL server (Azure Database for PostgreSQL, or any PostgreSQL >= 15) through `pg`.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { Kysely, PostgresDialect } from 'kysely';
import { batches, type CopyChannel, type Database } from './database.js';
import { copyStatement, encodeCopyRow } from './copy-text.js';
import { PG_PARSERS } from './pg-types.js';

/**
 * A parameter as sent to the server: a Date as UTC ISO-8601 text. pg's own default is local time
 * with an offset rounded to whole minutes, which moves instants in zones whose offset had
 * seconds (1900-01-01 in America/Sao_Paulo: LMT -03:06:28 sent as -03:06, 28 s off); UTC text is
 * the same instant whatever the process's TZ and, read into timestamptz, whatever the server's.
 */
export function utcParameter(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? value : value.toISOString();
  return Array.isArray(value) ? value.map(utcParameter) : value;
}

type Queryable = { query: (...args: any[]) => any };

/** The pool Kysely uses: its clients send Date parameters as UTC (utcParameter). */
function utcDatesPool(pool: pg.Pool): pg.Pool {
  const wrapClient = (client: pg.PoolClient): pg.PoolClient =>
    new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return (text: unknown, values?: unknown, ...rest: unknown[]) =>
          (target as Queryable).query(text, Array.isArray(values) ? values.map(utcParameter) : values, ...rest);
      },
    });
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === 'connect') return async () => wrapClient(await target.connect());
      return Reflect.get(target, prop, receiver);
    },
  });
}

export async function openPostgres<DB = any>(url: string, description: string): Promise<Database<DB>> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 5,
    // JIT off: PostgreSQL compiles any statement its planner costs above jit_above_cost, and a
    // daily batch's statements are cheap to run but were often costed above it (the compile was
    // 0.8 s of a 1.2 s no-change run before staging had fresh statistics; measured both ways since,
    // off was no slower for daily runs or full loads). A session setting: the server's own default
    // is left alone for its other clients.
    options: '-c TimeZone=UTC -c jit=off',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => PG_PARSERS[oid] ?? pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection can be closed under us (server restart, failover, admin terminate); the pool
  // drops it and opens a new one on demand. Without a listener Node would treat the 'error' event
  // as fatal and bring the whole worker down.
  pool.on('error', (e: Error & { code?: string }) => console.warn(`${description}: idle connection closed (${e.code ?? e.message}); it will be replaced`));
  // pg-pool listens on a client only while it is idle: a client checked out (held by a
  // transaction between two statements, or by a COPY) whose connection is closed emits 'error'
  // with no listener, and Node would exit. Every client gets a listener of its own for its whole
  // life; the statement in flight (or the next one) still fails with the error, which
  // shared/db/transient.ts classifies as transient, and the pool discards the broken client.
  pool.on('connect', (client) => {
    client.on('error', (e: Error & { code?: string }) => console.warn(`${description}: connection lost (${e.code ?? e.message})`));
  });
  // Fail fast with a clear message instead of on the first query.
  const probe = await pool.connect();
  probe.release();
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: utcDatesPool(pool) }) });
  const run = async <R>(client: pg.PoolClient, text: string, params?: readonly unknown[]) =>
    (await client.query(text, params ? params.map(utcParameter) : [])).rows as R[];
  const copy: CopyChannel = {
    async snapshot(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const result = await fn({
          query: (text, params) => run(client, text, params),
          async *copyOut(select) {
            const stream = client.query(copyTo(`COPY (${select}) TO STDOUT WITH (FORMAT text)`));
            try {
              for await (const chunk of stream) yield chunk as Buffer;
            } catch (e) {
              broken = e as Error;
              throw e;
            } finally {
              // a consumer that stopped early leaves the COPY unfinished: the session cannot be reused
              if (!stream.readableEnded) {
                broken ??= new Error('COPY TO abandoned');
                stream.destroy();
              }
            }
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (e) {
        broken ??= await client.query('ROLLBACK').then(
          () => undefined,
          (r: Error) => r,
        );
        throw e;
      } finally {
        client.release(broken);
      }
    },
    async query(text, params) {
      const client = await pool.connect();
      try {
        return await run(client, text, params);
      } finally {
        client.release();
      }
    },
    async copyIn(table, columns, data) {
      const client = await pool.connect();
      try {
        const stream = client.query(copyFrom(copyStatement(table.schema, table.name, columns, 'STDIN')));
        // a failing source destroys the COPY stream, which sends CopyFail: nothing of it is kept
        await pipeline(Readable.from(Buffer.isBuffer(data) ? [data] : data), stream);
        return Number(stream.rowCount);
      } finally {
        client.release();
      }
    },
  };
  return {
    engine: 'postgres',
    description,
    db,
    copy,
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
