// The engines a scenario runs on: PGlite always; a real PostgreSQL server when
// TEST_POSTGRES_URL is set (.ci/run starts one); SQL Server when TEST_MSSQL_CONNECTION_STRING is
// set (no SQL Server can run on our machines; users' CI can point this at a container; the login
// must be allowed to create databases).
//
// Each fresh() gives a new database, empty or migrated for a role, that close() drops again. Tests
// use it through two helpers:
//
//   await withFreshDatabase(engine, 'oltp', async (database) => { ... });  // one test, dropped after fn
//   const oltp = freshDatabaseForAll(engine, 'oltp');  // in a describe: beforeAll opens, afterAll drops
//   it('...', () => runChecks(oltp.database.db));
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import type { DatabaseRole } from '../../sql/migrations/index.js';
import type { ConnectionTarget } from '../../shared/db/connection-string.js';
import type { Database } from '../../shared/db/database.js';
import { migrate } from '../../shared/db/migrate.js';
import { openDatabase } from '../../shared/db/open.js';

/** 'empty': no migration at all (for tests of the migrations themselves) */
export type FreshRole = DatabaseRole | 'empty';

export interface FreshDatabase {
  database: Database;
  target: ConnectionTarget;
  /** closes the connection and drops the database */
  close: () => Promise<void>;
}

export interface TestEngine {
  name: string;
  /** a new database, migrated for `role` (default 'empty'); the returned close() drops it */
  fresh(role?: FreshRole): Promise<FreshDatabase>;
}

/**
 * Runs fn on a new database migrated for `role` ('empty': not migrated) and drops the database
 * afterwards, also when fn throws.
 */
export async function withFreshDatabase<T>(engine: TestEngine, role: FreshRole, fn: (database: Database, target: ConnectionTarget) => Promise<T>): Promise<T> {
  const { database, target, close } = await engine.fresh(role);
  try {
    return await fn(database, target);
  } finally {
    await close();
  }
}

/**
 * For a describe block whose tests read one database: a new database migrated for `role`, opened
 * in beforeAll and dropped in afterAll. Fill it in a beforeAll declared after this call (jest runs
 * them in order); tests that write to it must leave it as they found it (e.g. roll back), so each
 * test passes alone and in any order.
 */
export function freshDatabaseForAll(engine: TestEngine, role: FreshRole): { readonly database: Database } {
  let fresh: FreshDatabase | undefined;
  beforeAll(async () => {
    fresh = await engine.fresh(role);
  });
  afterAll(async () => {
    await fresh?.close();
    fresh = undefined;
  });
  return {
    get database() {
      if (!fresh) throw new Error('freshDatabaseForAll: the database exists only inside beforeAll/it/afterAll of its describe block');
      return fresh.database;
    },
  };
}

async function migrated(database: Database, role: FreshRole): Promise<void> {
  if (role !== 'empty') await migrate(database, role);
}

// PGlite: a new instance runs initdb, ~3-4 s whether in memory or on disk (5-7 s on a busy
// machine); opening a copy of a data dir that is already initialised and migrated takes ~0.5 s
// (~1 s busy), and reads and writes are as fast as in memory. So each fresh() copies a template
// data dir (~40 MB) and close() deletes the copy. The copies go to /dev/shm where there is one
// (copying to a busy disk took up to 1 s). The templates are built once per machine under
// node_modules/.cache/test-pglite/<key>, where the key hashes everything that shapes them
// (PGlite's and Kysely's versions, every file of sql/migrations): changing a migration builds new
// templates, never a stale schema.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TEMPLATES = join(ROOT, 'node_modules/.cache/test-pglite');
const COPIES = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const COPY_PREFIX = 'pglite-test-';

function templateKey(): string {
  const hash = createHash('sha256');
  for (const pkg of ['@electric-sql/pglite', 'kysely']) hash.update(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json')));
  const migrations = join(ROOT, 'sql/migrations');
  for (const file of readdirSync(migrations, { recursive: true, encoding: 'utf8' }).sort()) {
    if (file.endsWith('.ts')) hash.update(file).update(readFileSync(join(migrations, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Copies left by test processes that died before close() (none lives for hours). */
function removeAbandonedCopies(): void {
  for (const name of readdirSync(COPIES)) {
    const path = join(COPIES, name);
    if (name.startsWith(COPY_PREFIX) && Date.now() - statSync(path).mtimeMs > 6 * 3600_000) rmSync(path, { recursive: true, force: true });
  }
}

let templates: Promise<string> | undefined;

/** The folder holding the 'empty', 'oltp' and 'dw' template data dirs, built when missing. */
function pgliteTemplates(): Promise<string> {
  templates ??= (async () => {
    removeAbandonedCopies();
    const key = templateKey();
    const dir = join(TEMPLATES, key);
    if (existsSync(dir)) return dir;
    // Built beside the final folder and renamed into place, so a test process running at the same
    // time never sees a half-built template; the loser of that race drops its own copy.
    mkdirSync(TEMPLATES, { recursive: true });
    const building = mkdtempSync(join(TEMPLATES, 'building-'));
    const empty = await openDatabase({ engine: 'pglite', dataDir: join(building, 'empty') });
    await empty.close();
    for (const role of ['oltp', 'dw'] as const) {
      cpSync(join(building, 'empty'), join(building, role), { recursive: true });
      const database = await openDatabase({ engine: 'pglite', dataDir: join(building, role) });
      await migrate(database, role);
      await database.close();
    }
    try {
      renameSync(building, dir);
    } catch (e) {
      rmSync(building, { recursive: true, force: true });
      if (!existsSync(dir)) throw e;
    }
    // templates of earlier migrations (about 120 MB each) are no use any more
    for (const old of readdirSync(TEMPLATES)) {
      if (old !== key && !old.startsWith('building-')) rmSync(join(TEMPLATES, old), { recursive: true, force: true });
    }
    return dir;
  })();
  return templates;
}

/**
 * A new PGlite data dir, empty or migrated for `role`, for code that opens the database itself
 * from a connection string (`pglite:${dataDir}`); remove() deletes it once it is closed.
 */
export async function freshPgliteDataDir(role: FreshRole): Promise<{ dataDir: string; remove: () => void }> {
  const template = join(await pgliteTemplates(), role);
  const copy = mkdtempSync(join(COPIES, COPY_PREFIX));
  const dataDir = join(copy, 'data');
  cpSync(template, dataDir, { recursive: true });
  return { dataDir, remove: () => rmSync(copy, { recursive: true, force: true }) };
}

const pglite: TestEngine = {
  name: 'pglite',
  async fresh(role = 'empty') {
    const { dataDir, remove } = await freshPgliteDataDir(role);
    const target: ConnectionTarget = { engine: 'pglite', dataDir };
    const database = await openDatabase(target);
    return {
      database,
      target,
      async close() {
        await database.close();
        remove();
      },
    };
  },
};

function postgres(adminUrl: string): TestEngine {
  return {
    name: 'postgres',
    async fresh(role = 'empty') {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const target: ConnectionTarget = { engine: 'postgres', url: url.toString() };
      const database = await openDatabase(target);
      const close = async () => {
        await database.close();
        const a = new pg.Client({ connectionString: adminUrl });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      };
      await migrated(database, role).catch(async (e: unknown) => {
        await close();
        throw e;
      });
      return { database, target, close };
    },
  };
}

function mssql(connectionString: string): TestEngine {
  // SQL Server: like PostgreSQL, every fresh() creates its own database on the server (the login
  // needs CREATE DATABASE) and close() drops it. Never run here (no SQL Server on our machines).
  return {
    name: 'mssql',
    async fresh(role = 'empty') {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const admin = await openDatabase({ engine: 'mssql', connectionString });
      await sql`create database ${sql.id(name)}`.execute(admin.db);
      // the extract and the reconciliation read in SNAPSHOT isolation, which boxed SQL Server allows
      // only when the database says so (Azure SQL Database has it on by default)
      await sql`alter database ${sql.id(name)} set allow_snapshot_isolation on`.execute(admin.db);
      await admin.close();
      const target: ConnectionTarget = { engine: 'mssql', connectionString: withDatabase(connectionString, name) };
      const database = await openDatabase(target);
      const close = async () => {
        await database.close();
        const a = await openDatabase({ engine: 'mssql', connectionString });
        await sql`alter database ${sql.id(name)} set single_user with rollback immediate`.execute(a.db);
        await sql`drop database ${sql.id(name)}`.execute(a.db);
        await a.close();
      };
      await migrated(database, role).catch(async (e: unknown) => {
        await close();
        throw e;
      });
      return { database, target, close };
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
