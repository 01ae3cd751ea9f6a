// The engines a scenario runs on: PGlite always; a real PostgreSQL server when
// TEST_POSTGRES_URL is set (.ci/run starts one); SQL Server when TEST_MSSQL_CONNECTION_STRING is
// set (no SQL Server can run on our machines; users' CI can point this at a container; the login
// must be allowed to create databases).
// Each call to fresh() gives a new, empty database that close() drops again.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { ConnectionTarget } from '../../shared/db/connection-string.js';
import type { Database } from '../../shared/db/database.js';
import { openDatabase } from '../../shared/db/open.js';

export interface TestEngine {
  name: string;
  /** a new empty database; the returned close() also drops it */
  fresh(): Promise<{ database: Database; target: ConnectionTarget; close: () => Promise<void> }>;
}

const pglite: TestEngine = {
  name: 'pglite',
  async fresh() {
    const target: ConnectionTarget = { engine: 'pglite', dataDir: null };
    const database = await openDatabase(target);
    return { database, target, close: () => database.close() };
  },
};

function postgres(adminUrl: string): TestEngine {
  return {
    name: 'postgres',
    async fresh() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const target: ConnectionTarget = { engine: 'postgres', url: url.toString() };
      const database = await openDatabase(target);
      return {
        database,
        target,
        async close() {
          await database.close();
          const a = new pg.Client({ connectionString: adminUrl });
          await a.connect();
          await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await a.end();
        },
      };
    },
  };
}

function mssql(connectionString: string): TestEngine {
  // SQL Server: like PostgreSQL, every fresh() creates its own database on the server (the login
  // needs CREATE DATABASE) and close() drops it. Never run here (no SQL Server on our machines).
  return {
    name: 'mssql',
    async fresh() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const admin = await openDatabase({ engine: 'mssql', connectionString });
      await sql`create database ${sql.id(name)}`.execute(admin.db);
      await admin.close();
      const target: ConnectionTarget = { engine: 'mssql', connectionString: withDatabase(connectionString, name) };
      const database = await openDatabase(target);
      return {
        database,
        target,
        async close() {
          await database.close();
          const a = await openDatabase({ engine: 'mssql', connectionString });
          await sql`alter database ${sql.id(name)} set single_user with rollback immediate`.execute(a.db);
          await sql`drop database ${sql.id(name)}`.execute(a.db);
          await a.close();
        },
      };
    },
  };
}

/** The same SQL Server connection string pointing at another database. */
export function withDatabase(connectionString: string, database: string): string {
  if (/^(mssql|sqlserver):\/\//i.test(connectionString)) {
    const url = new URL(connectionString);
    url.pathname = `/${database}`;
    return url.toString();
  }
  const parts = connectionString.split(';').filter((p) => p.trim() !== '' && !/^\s*(database|initial catalog)\s*=/i.test(p));
  return [...parts, `Database=${database}`].join(';');
}

export function testEngines(): TestEngine[] {
  const list = [pglite];
  if (process.env.TEST_POSTGRES_URL) list.push(postgres(process.env.TEST_POSTGRES_URL));
  if (process.env.TEST_MSSQL_CONNECTION_STRING) list.push(mssql(process.env.TEST_MSSQL_CONNECTION_STRING));
  return list;
}
