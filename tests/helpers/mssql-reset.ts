// Empties a SQL Server test database of the objects our migrations create, so each scenario
// starts from nothing. Only used when TEST_MSSQL_CONNECTION_STRING is set.
import { sql } from 'kysely';
import type { Database } from '../../shared/db/database.js';

export async function dropAllMssql(database: Database): Promise<void> {
  const db = database.db;
  // Foreign keys first, then tables, then schemas; the migration log last.
  await sql`DECLARE @s nvarchar(max) = N'';
    SELECT @s += N'ALTER TABLE ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N' DROP CONSTRAINT ' + QUOTENAME(f.name) + N';'
      FROM sys.foreign_keys f JOIN sys.tables t ON f.parent_object_id = t.object_id JOIN sys.schemas s ON t.schema_id = s.schema_id
      WHERE s.name IN (N'oltp', N'dw', N'etl');
    SELECT @s += N'DROP TABLE ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N';'
      FROM sys.tables t JOIN sys.schemas s ON t.schema_id = s.schema_id
      WHERE s.name IN (N'oltp', N'dw', N'etl') OR t.name IN (N'kysely_migration', N'kysely_migration_lock');
    EXEC sp_executesql @s;`.execute(db);
  for (const schema of ['oltp', 'dw', 'etl']) {
    await sql`IF SCHEMA_ID(${schema}) IS NOT NULL EXEC(N'DROP SCHEMA ' + ${schema})`.execute(db);
  }
}
