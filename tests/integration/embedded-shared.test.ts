// The embedded default keeps the source and the warehouse in one PGlite instance when both
// settings name the same folder: one WebAssembly heap instead of two (npm run demo's memory), and
// never two instances on one folder, which would corrupt it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../../shared/config/settings.js';
import { openMigrated, rolesAt } from '../../shared/db/connections.js';
import type { Database } from '../../shared/db/database.js';
import { MIGRATIONS } from '../../sql/migrations/index.js';

const tableNames = async (database: Pick<Database, 'db'>) => (await database.db.introspection.getTables()).map((t) => `${t.schema}.${t.name}`);

describe('one embedded database for source and warehouse', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'embedded-shared-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names both roles for a shared folder, one role otherwise', () => {
    const shared = loadSettings({ OLTP_CONNECTION_STRING: `pglite:${dir}/db`, DW_CONNECTION_STRING: `pglite:${dir}/./db` });
    expect(rolesAt(shared, 'oltp')).toEqual(['oltp', 'dw']);
    expect(rolesAt(shared, 'dw')).toEqual(['oltp', 'dw']);
    const apart = loadSettings({ OLTP_CONNECTION_STRING: `pglite:${dir}/a`, DW_CONNECTION_STRING: `pglite:${dir}/b` });
    expect(rolesAt(apart, 'oltp')).toEqual(['oltp']);
    const memory = loadSettings({ OLTP_CONNECTION_STRING: 'pglite:memory', DW_CONNECTION_STRING: 'pglite:memory' });
    expect(rolesAt(memory, 'dw')).toEqual(['dw']);
    const server = loadSettings({ OLTP_CONNECTION_STRING: 'postgres://u@h/db', DW_CONNECTION_STRING: 'postgres://u@h/db' });
    expect(rolesAt(server, 'oltp')).toEqual(['oltp']);
    // the default: both in .data/local
    expect(rolesAt(loadSettings({}), 'oltp')).toEqual(['oltp', 'dw']);
  });

  it('opens one instance holding both schemas, migrated once with both sets, and closes it with its last holder', async () => {
    const settings = loadSettings({ OLTP_CONNECTION_STRING: `pglite:${dir}/db`, DW_CONNECTION_STRING: `pglite:${dir}/db` });
    const oltp = await openMigrated('oltp', settings);
    const dw = await openMigrated('dw', settings);
    try {
      expect(dw.db).toBe(oltp.db);
      const tables = await tableNames(oltp);
      expect(tables).toEqual(expect.arrayContaining(['oltp.pedidos', 'dw.fact_vendas', 'etl.run', 'stg.pedidos']));
      const applied = await oltp.db
        .selectFrom('kysely_migration' as never)
        .select('name' as never)
        .execute();
      expect(applied.map((r) => (r as { name: string }).name).sort()).toEqual([...Object.keys(MIGRATIONS.oltp), ...Object.keys(MIGRATIONS.dw)].sort());
      // one holder closing leaves the instance open for the other
      await oltp.close();
      await oltp.close(); // a second close of the same holder changes nothing
      expect(await tableNames(dw)).toContain('dw.fact_vendas');
    } finally {
      await dw.close();
    }
    // closed for good with its last holder: the folder opens again (a second instance on it would be refused or corrupt it)
    const again = await openMigrated('dw', settings);
    try {
      expect(await tableNames(again)).toContain('oltp.pedidos');
    } finally {
      await again.close();
    }
  });

  it('gives folders of their own instances of their own', async () => {
    const settings = loadSettings({ OLTP_CONNECTION_STRING: `pglite:${dir}/src`, DW_CONNECTION_STRING: `pglite:${dir}/wh` });
    const oltp = await openMigrated('oltp', settings);
    const dw = await openMigrated('dw', settings);
    try {
      expect(dw.db).not.toBe(oltp.db);
      expect(await tableNames(oltp)).not.toContain('dw.fact_vendas');
      expect(await tableNames(dw)).not.toContain('oltp.pedidos');
    } finally {
      await Promise.all([oltp.close(), dw.close()]);
    }
  });
});
