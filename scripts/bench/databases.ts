// The bench's throwaway databases: on a PostgreSQL server (BENCH_POSTGRES_URL, else
// TEST_POSTGRES_URL) it creates `bench_<id>_<name>` databases and drops them again; on PGlite each
// database is a data dir under a temporary folder. A copy of the seeded source is a template copy
// (server) or a copied data dir (PGlite), so each round starts from the same rows.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { initEmbeddedFolder } from '../../shared/db/pglite-initdb.js';

export class BenchSetupError extends Error {}

export interface BenchDatabases {
  readonly description: string;
  /** what every database of this bench is named after: the server databases' name prefix, or the PGlite folder */
  readonly prefix: string;
  /** a new empty database; returns its connection string */
  create(name: string): Promise<string>;
  /** a new database holding a copy of `from` (which must have no open connection) */
  copy(from: string, name: string): Promise<string>;
  drop(name: string): Promise<void>;
  /** drops everything still there */
  close(): Promise<void>;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function postgresDatabases(adminUrl: string): Promise<BenchDatabases> {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    await admin.query('select 1');
  } catch (e) {
    throw new BenchSetupError(`cannot reach the PostgreSQL server of BENCH_POSTGRES_URL / TEST_POSTGRES_URL: ${(e as Error).message}`);
  }
  const prefix = `bench_${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}_`;
  const live = new Set<string>();
  const urlOf = (db: string) => {
    const u = new URL(adminUrl);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const server = new URL(adminUrl);
  return {
    description: `PostgreSQL server ${server.hostname}:${server.port || 5432}`,
    prefix,
    async create(name) {
      await admin.query(`create database ${quote(prefix + name)}`);
      live.add(prefix + name);
      return urlOf(prefix + name);
    },
    async copy(from, name) {
      await admin.query(`create database ${quote(prefix + name)} template ${quote(prefix + from)}`);
      live.add(prefix + name);
      return urlOf(prefix + name);
    },
    async drop(name) {
      await admin.query(`drop database if exists ${quote(prefix + name)} with (force)`);
      live.delete(prefix + name);
    },
    async close() {
      for (const db of [...live]) await admin.query(`drop database if exists ${quote(db)} with (force)`).catch(() => undefined);
      live.clear();
      await admin.end().catch(() => undefined);
    },
  };
}

export function pgliteDatabases(): BenchDatabases {
  const root = mkdtempSync(join(tmpdir(), 'bench-pglite-'));
  // A new PGlite data dir runs initdb when first opened (seconds, more on a busy machine), which a
  // server's CREATE DATABASE does not cost: every database starts as a copy of one initialised
  // empty data dir, so the measured units open a database as they would on a server.
  let template: Promise<string> | undefined;
  const initialised = () =>
    (template ??= (async () => {
      const dir = join(root, '_empty');
      await initEmbeddedFolder(dir); // as the app makes its embedded folders
      return dir;
    })());
  return {
    description: `embedded PGlite (data dirs in ${root})`,
    prefix: root,
    async create(name) {
      cpSync(await initialised(), join(root, name), { recursive: true });
      return `pglite:${join(root, name)}`;
    },
    copy(from, name) {
      cpSync(join(root, from), join(root, name), { recursive: true });
      return Promise.resolve(`pglite:${join(root, name)}`);
    },
    drop(name) {
      rmSync(join(root, name), { recursive: true, force: true });
      return Promise.resolve();
    },
    close() {
      rmSync(root, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
