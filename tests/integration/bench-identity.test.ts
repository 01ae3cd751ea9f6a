// The bench's identity check (scripts/bench/identity.ts) is what makes "pipeline / ideal" a fair
// ratio: it must say "identical" only when every business column of every row agrees, and name the
// rows that differ otherwise. Two migrated warehouses on each engine (PGlite always, the
// PostgreSQL server when TEST_POSTGRES_URL is set) get the same rows, then one is changed.
import { parseConnectionString } from '../../shared/db/connection-string.js';
import { migrate } from '../../shared/db/migrate.js';
import { openDatabase } from '../../shared/db/open.js';
import { pgliteDatabases, postgresDatabases, type BenchDatabases } from '../../scripts/bench/databases.js';
import { compareWarehouses } from '../../scripts/bench/identity.js';
import { openSession, type SqlSession } from '../../scripts/bench/sql-session.js';

const engines: [string, () => Promise<BenchDatabases>][] = [['pglite', () => Promise.resolve(pgliteDatabases())]];
if (process.env.TEST_POSTGRES_URL) engines.push(['postgres', () => postgresDatabases(process.env.TEST_POSTGRES_URL!)]);
else console.log('bench-identity: TEST_POSTGRES_URL is not set; the identity check runs on PGlite only');

async function migratedWarehouse(databases: BenchDatabases, name: string): Promise<SqlSession> {
  const url = await databases.create(name);
  const database = await openDatabase(parseConnectionString(url));
  await migrate(database, 'dw');
  await database.close();
  return openSession(url);
}

/** A seller and two monthly targets, stamped by `runId`. */
async function fill(db: SqlSession, runId: string): Promise<void> {
  await db.query(
    `insert into dw.dim_vendedor (vendedor_key, vendedor_id, codigo, nome, cidade, estado, ativo, source_updated_at, run_id)
     values (1, 10, 'V10', 'Ana', 'Recife', 'PE', true, '2026-01-05T10:00:00Z', $1)`,
    [runId],
  );
  await db.query(
    `insert into dw.fact_metas (meta_id, vendedor_id, vendedor_key, mes, mes_key, valor_meta, quantidade_meta, source_updated_at, run_id)
     values (1, 10, 1, '2026-01-01', -1, 1000.5, 5, '2026-01-05T10:00:00Z', $1), (2, 10, 1, '2026-02-01', -1, 2000, null, '2026-01-05T10:00:00Z', $1)`,
    [runId],
  );
}

describe.each(engines)('bench identity check (%s)', (_name, open) => {
  let databases: BenchDatabases;
  let a: SqlSession;
  let b: SqlSession;
  beforeAll(async () => {
    databases = await open();
    a = await migratedWarehouse(databases, 'identity_a');
    b = await migratedWarehouse(databases, 'identity_b');
    await fill(a, 'run-a');
    await fill(b, 'run-b');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await databases?.close();
  });

  it('finds two warehouses with the same rows identical, whatever run loaded them and when', async () => {
    await b.query("update dw.fact_metas set loaded_at = loaded_at + interval '1 day'");
    const result = await compareWarehouses(a, b);
    expect(result.identical).toBe(true);
    expect(result.tables.find((t) => t.table === 'dw.fact_metas')).toEqual({ table: 'dw.fact_metas', rows: [2, 2], identical: true });
  });

  it('detects one changed business value and names its row', async () => {
    await b.query('update dw.fact_metas set valor_meta = 1000.51 where meta_id = 1');
    try {
      const result = await compareWarehouses(a, b);
      expect(result.identical).toBe(false);
      const metas = result.tables.find((t) => t.table === 'dw.fact_metas')!;
      expect(metas).toEqual({ table: 'dw.fact_metas', rows: [2, 2], identical: false, differences: ['1 differs'] });
      // every other table still agrees
      expect(result.tables.filter((t) => !t.identical).map((t) => t.table)).toEqual(['dw.fact_metas']);
    } finally {
      await b.query('update dw.fact_metas set valor_meta = 1000.5 where meta_id = 1');
    }
  });

  it('detects a NULL that became a value, and a row on one side only', async () => {
    await b.query('update dw.fact_metas set quantidade_meta = 0 where meta_id = 2');
    await b.query('update dw.dim_vendedor set nome = $1 where vendedor_key = 1', ['Ana ']);
    await a.query(`insert into dw.dim_data (data_key, data, ano, trimestre, mes, nome_mes, ano_mes, dia, dia_semana, nome_dia_semana, fim_de_semana)
                   values (20260101, '2026-01-01', 2026, 1, 1, 'Janeiro', '2026-01', 1, 5, 'Quinta-feira', false)`);
    const result = await compareWarehouses(a, b);
    expect(result.identical).toBe(false);
    const differing = Object.fromEntries(result.tables.filter((t) => !t.identical).map((t) => [t.table, t.differences]));
    expect(differing).toEqual({
      'dw.dim_data': ['20260101 only in the first'],
      'dw.dim_vendedor': ['1 differs'],
      'dw.fact_metas': ['2 differs'],
    });
  });
});
