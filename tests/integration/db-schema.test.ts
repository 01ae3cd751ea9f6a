// The typed Kysely schema (shared/db/schema) against the databases our migrations build: the
// committed interfaces must be exactly what the migrations produce, and the drivers must really
// return the TypeScript types the interfaces declare.
import { readFileSync } from 'node:fs';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { Database } from '../../shared/db/database.js';
import { renderAllSchemas, TS_TYPES } from '../../shared/db/schema/generate.js';
import { tablesOf, type WarehouseTables } from '../../shared/db/schema/index.js';
import { testEngines, withFreshDatabase } from '../helpers/engines.js';

describe('typed schema', () => {
  it('matches the migrated databases (after changing a migration: npx tsx shared/db/schema/generate.ts)', async () => {
    const files = await renderAllSchemas();
    expect(Object.keys(files).sort()).toEqual(['shared/db/schema/oltp.ts', 'shared/db/schema/warehouse.ts']);
    for (const [path, text] of Object.entries(files)) expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('rejects unknown tables and columns at compile time, and lets generic code reach a runtime-named table', () => {
    const db = new Kysely<WarehouseTables>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (k) => new PostgresIntrospector(k),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
    // These lines are checked by the type check (npm run lint): each must stay an error.
    // @ts-expect-error a column that does not exist
    db.selectFrom('dw.fact_vendas').select('valor_liquidoo');
    db.insertInto('dw.fact_metas').values({
      meta_id: 1,
      vendedor_id: 1,
      vendedor_key: 1,
      mes: '2026-06-01',
      mes_key: 20260601,
      // @ts-expect-error money is an exact decimal string, never a number
      valor_meta: 100,
      source_updated_at: new Date(),
      run_id: 'r',
    });
    const entity = 'metas' as 'metas' | 'pedidos';
    const stg = tablesOf(db, 'stg');
    // @ts-expect-error stg.metas has no valor_total: not every staging table has the column
    stg.selectFrom(`stg.${entity}`).select('valor_total');
    // @ts-expect-error ods has no metas table
    tablesOf(db, 'ods').deleteFrom(`ods.${entity}`);

    const q = stg.deleteFrom(`stg.${entity} as s`).where('s._seq', '>', 1).compile();
    expect(q.sql).toBe('delete from "stg"."metas" as "s" where "s"."_seq" > $1');
  });
});

// The declared types are what PostgreSQL's drivers return with our parsers (pg-types.ts); SQL
// Server's driver differs (decimals as numbers, bigint as strings; see column-types.ts).
const IS: Record<string, (v: unknown) => boolean> = {
  number: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  Decimal: (v) => typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v),
  DateOnly: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v),
  Timestamp: (v) => v instanceof Date,
};

describe.each(testEngines().filter((e) => e.name !== 'mssql'))('typed schema on $name', (engine) => {
  it('every SQL type comes back as the TypeScript type the schema declares', async () => {
    await withFreshDatabase(engine, 'dw', async (database) => {
      const dw = database as Database<WarehouseTables>;
      // The migrations seed the dimensions' unknown members, the calendar's and the lease; a run adds text columns.
      await dw.db
        .insertInto('etl.run')
        .values({ run_id: 'r1', kind: 'daily', status: 'failed', started_at: new Date(), finished_at: '2026-06-01T00:00:00.000Z', error: 'boom' })
        .execute();
      const seen = new Set<string>();
      for (const table of await dw.db.introspection.getTables()) {
        const rows = await database.db.selectFrom(`${table.schema}.${table.name}`).selectAll().execute();
        for (const row of rows) {
          for (const c of table.columns) {
            const value = (row as Record<string, unknown>)[c.name];
            if (value === null) continue;
            const declared = TS_TYPES[c.dataType]!;
            expect({ column: `${table.schema}.${table.name}.${c.name}`, declared, ok: IS[declared]!(value) }).toEqual({
              column: `${table.schema}.${table.name}.${c.name}`,
              declared,
              ok: true,
            });
            seen.add(c.dataType);
          }
        }
      }
      expect([...seen].sort()).toEqual(Object.keys(TS_TYPES).sort());
    });
  });
});
