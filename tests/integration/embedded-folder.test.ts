// A new embedded database folder is made in a child process and renamed into place: what a
// developer's first `npm run demo` or `npm start` gets, and what a folder that is not a database
// gets (an error, with its files left alone).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { parseConnectionString } from '../../shared/db/connection-string.js';
import { openDatabase } from '../../shared/db/open.js';
import { EMBEDDED_SETTINGS, initEmbeddedFolder } from '../../shared/db/pglite-initdb.js';

describe('creating an embedded database folder', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'embedded-folder-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('creates a database that opens with the embedded settings, keeps its data, and leaves nothing beside it', async () => {
    const dir = join(root, 'nested', 'local');
    const database = await openDatabase(parseConnectionString(`pglite:${dir}`));
    try {
      const { rows } = await sql<{ shared_buffers: string }>`show shared_buffers`.execute(database.db);
      expect(rows[0]!.shared_buffers).toBe(EMBEDDED_SETTINGS.shared_buffers);
      await sql`create table kept (v int)`.execute(database.db);
      await sql`insert into kept values (42)`.execute(database.db);
    } finally {
      await database.close();
    }
    expect(readdirSync(join(root, 'nested'))).toEqual(['local']);

    // a second create is a no-op: the data stays
    await initEmbeddedFolder(dir);
    const again = await openDatabase(parseConnectionString(`pglite:${dir}`));
    try {
      expect((await sql<{ v: number }>`select v from kept`.execute(again.db)).rows).toEqual([{ v: 42 }]);
    } finally {
      await again.close();
    }
  });

  it('takes the place of an empty folder made in advance', async () => {
    const dir = join(root, 'made-empty');
    mkdirSync(dir);
    await initEmbeddedFolder(dir);
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    expect(readFileSync(join(dir, 'postgresql.conf'), 'utf8')).toMatch(new RegExp(`^shared_buffers = ${EMBEDDED_SETTINGS.shared_buffers}`, 'm'));
  });

  it('gives two creates at once one database', async () => {
    const dir = join(root, 'raced');
    await Promise.all([initEmbeddedFolder(dir), initEmbeddedFolder(dir)]);
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    expect(readdirSync(root).filter((name) => name.includes('creating'))).toEqual([]);
  });

  it('refuses a folder that holds other files, and leaves them alone', async () => {
    const dir = join(root, 'not-a-database');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expect(initEmbeddedFolder(dir)).rejects.toThrow(/not-a-database: it exists and is not empty but holds no database \(no PG_VERSION\)/);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect(readdirSync(root).filter((name) => name.includes('creating'))).toEqual([]);
  });

  it('fails with the folder named when it cannot be made, leaving nothing half-made', async () => {
    const blocker = join(root, 'a-file');
    writeFileSync(blocker, '');
    const dir = join(blocker, 'local');
    await expect(initEmbeddedFolder(dir)).rejects.toThrow(`could not create the embedded database folder ${dir}: EEXIST: file already exists, mkdir`);
    expect(readdirSync(root).filter((name) => name.includes('creating'))).toEqual([]);
  });
});
