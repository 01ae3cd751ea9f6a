// SQL Server cannot run here, so the T-SQL is checked by compiling every migration offline.
import { readFileSync } from 'node:fs';
import { emitDdl } from '../../scripts/emit-sql.js';
import { compileMigrations } from '../../shared/db/offline-compile.js';
import { OLTP, OLTP_TABLES } from '../../shared/model/oltp-tables.js';
import { MIGRATIONS } from '../../sql/migrations/index.js';

describe('generated DDL', () => {
  it('produces T-SQL for every OLTP table, with every column of the model', async () => {
    const statements = (await compileMigrations(MIGRATIONS.oltp, 'mssql')).flatMap((m) => m.statements);
    for (const table of OLTP_TABLES) {
      const create = statements.find((s) => s.startsWith(`create table "oltp"."${table}" (`));
      expect(create).toBeDefined();
      for (const column of OLTP[table].columns) expect(create).toContain(`"${column.name}" `);
      expect(statements).toContain(`create index "ix_${table}_updated_at_id" on "oltp"."${table}" ("updated_at", "id")`);
    }
  });

  it('uses SQL Server types: unicode text, datetime2(3) timestamps, exact decimals, no PostgreSQL-only types', async () => {
    const tsql = (await compileMigrations(MIGRATIONS.oltp, 'mssql')).flatMap((m) => m.statements).join('\n');
    expect(tsql).toMatch(/"nome" nvarchar\(160\) not null/);
    expect(tsql).toMatch(/"updated_at" datetime2\(3\) default sysutcdatetime\(\) not null/);
    expect(tsql).toMatch(/"valor_total" decimal\(19, 4\) not null/);
    expect(tsql).not.toMatch(/timestamptz|boolean|varchar\(\d+\)(?<!nvarchar\(\d+\))|now\(\)|if not exists/);
    // money is never a binary float in either dialect
    const pgsql = (await compileMigrations(MIGRATIONS.oltp, 'postgres')).flatMap((m) => m.statements).join('\n');
    expect(`${tsql}\n${pgsql}`).not.toMatch(/\b(float|real|double precision|money)\b/);
  });

  it('produces T-SQL for the warehouse: control tables, every dimension with its unknown member, filtered current-row indexes', async () => {
    const tsql = (await compileMigrations(MIGRATIONS.dw, 'mssql')).flatMap((m) => m.statements);
    for (const table of ['etl"."watermark', 'etl"."lease', 'etl"."run', 'etl"."run_step', 'etl"."batch', 'etl"."rejected_row', 'dw"."dim_data']) {
      expect(tsql.some((s) => s.startsWith(`create table "${table}" (`))).toBe(true);
    }
    for (const dim of ['categoria', 'vendedor', 'campanha', 'cliente', 'produto']) {
      expect(tsql.some((s) => s.startsWith(`create table "dw"."dim_${dim}" (`))).toBe(true);
      expect(tsql.some((s) => s.startsWith(`insert into "dw"."dim_${dim}" ("${dim}_key", "${dim}_id",`) && s.includes('values (-1, -1, '))).toBe(true);
    }
    expect(tsql).toContain('create unique index "ix_dim_cliente_current" on "dw"."dim_cliente" ("cliente_id") where "is_current" = 1');
    expect(tsql.join('\n')).not.toMatch(/@\d+/);
  });

  it('matches the committed sql/generated scripts (run `npm run sql:emit` after changing a migration)', async () => {
    const files = await emitDdl(false);
    expect(Object.keys(files).sort()).toEqual([
      'sql/generated/dw.mssql.sql',
      'sql/generated/dw.postgres.sql',
      'sql/generated/oltp.mssql.sql',
      'sql/generated/oltp.postgres.sql',
    ]);
    for (const [path, text] of Object.entries(files)) expect(readFileSync(path, 'utf8')).toBe(text);
  });
});
