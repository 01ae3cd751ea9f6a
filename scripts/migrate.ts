// npm run db:migrate — applies pending migrations to the OLTP and warehouse databases.
import { loadSettings } from '../shared/config/settings.js';
import { migrate } from '../shared/db/migrate.js';
import { openDatabase } from '../shared/db/open.js';
import { runCli } from './cli.js';

runCli(async () => {
  const settings = loadSettings();
  for (const role of ['oltp', 'dw'] as const) {
    const database = await openDatabase(role === 'oltp' ? settings.OLTP_CONNECTION_STRING : settings.DW_CONNECTION_STRING);
    try {
      const { applied } = await migrate(database, role);
      console.log(`${role}: ${database.description}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
    } finally {
      await database.close();
    }
  }
});
