// npm run db:migrate — applies pending migrations to the OLTP and warehouse databases (one
// embedded database holding both is migrated once, with both sets).
import { loadSettings } from '../shared/config/settings.js';
import { rolesAt, targetOf } from '../shared/db/connections.js';
import { migrate } from '../shared/db/migrate.js';
import { openDatabase } from '../shared/db/open.js';
import { runCli } from './cli.js';

runCli(async () => {
  const settings = loadSettings();
  const done = new Set<string>();
  for (const role of ['oltp', 'dw'] as const) {
    const roles = rolesAt(settings, role);
    if (done.has(role)) continue;
    roles.forEach((r) => done.add(r));
    const database = await openDatabase(targetOf(settings, role));
    try {
      const { applied } = await migrate(database, roles);
      console.log(`${roles.join('+')}: ${database.description}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
    } finally {
      await database.close();
    }
  }
});
