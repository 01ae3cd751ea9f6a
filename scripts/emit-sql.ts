// Writes sql/generated/<db>.<dialect>.sql: the DDL each migration set runs, for DBAs to review
// and for deploying to SQL Server by hand. A test fails when these files are out of date.
import { writeFileSync, mkdirSync } from 'node:fs';
import { MIGRATIONS, type DatabaseRole } from '../sql/migrations/index.js';
import { compileMigrations, renderScript, type Dialect } from '../shared/db/offline-compile.js';

export async function emitAll(write: boolean): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const role of Object.keys(MIGRATIONS) as DatabaseRole[]) {
    if (Object.keys(MIGRATIONS[role]).length === 0) continue;
    for (const dialect of ['postgres', 'mssql'] as Dialect[]) {
      files[`sql/generated/${role}.${dialect}.sql`] = renderScript(await compileMigrations(MIGRATIONS[role], dialect), dialect);
    }
  }
  if (write) {
    mkdirSync('sql/generated', { recursive: true });
    for (const [path, text] of Object.entries(files)) writeFileSync(path, text);
  }
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = await emitAll(true);
  for (const path of Object.keys(files)) console.log(`wrote ${path}`);
}
