// npm run db:migrate -- [--only oltp|dw]
// Applies pending migrations (safe to repeat). Locally: the OLTP and the warehouse, or the role
// named (one embedded database holding both is migrated once, with both sets). In Azure
// (WEBSITE_SITE_NAME set) this is the deploy step, the only place the schema changes: it migrates
// the warehouse alone and refuses the OLTP, which is the company's own database there (our OLTP
// migrations create the development source only).
import { loadSettings } from '../shared/config/settings.js';
import { rolesAt, targetOf } from '../shared/db/connections.js';
import { migrate } from '../shared/db/migrate.js';
import { openDatabase } from '../shared/db/open.js';
import type { DatabaseRole } from '../sql/migrations/index.js';
import { parseCliArgs, runCli, UsageError } from './cli.js';

const USAGE = 'usage: npm run db:migrate -- [--only oltp|dw]';

/** The roles to migrate: --only, else both locally and the warehouse alone in Azure. */
export function rolesToMigrate(only: string | undefined, inAzure: boolean): DatabaseRole[] {
  if (only !== undefined && only !== 'oltp' && only !== 'dw') throw new UsageError(`--only must be oltp or dw; ${USAGE}`);
  if (inAzure && only === 'oltp')
    throw new UsageError(
      'in Azure (WEBSITE_SITE_NAME is set) db:migrate migrates only the warehouse: the OLTP source is the company database, ' +
        'and our OLTP migrations create the development source only',
    );
  if (only !== undefined) return [only];
  return inAzure ? ['dw'] : ['oltp', 'dw'];
}

const isMain = process.argv[1]?.endsWith('migrate.ts');
if (isMain)
  runCli(async () => {
    const { values, positionals } = parseCliArgs({ only: { type: 'string' } });
    if (positionals.length) throw new UsageError(USAGE);
    const settings = loadSettings();
    const done = new Set<DatabaseRole>();
    for (const role of rolesToMigrate(values.only, settings.inAzure)) {
      if (done.has(role)) continue;
      const roles = rolesAt(settings, role);
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
