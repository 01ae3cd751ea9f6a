// In Azure the app runs no DDL: opening the warehouse checks that it holds every migration of
// the code and refuses with SchemaVersionError when it is behind (nothing changes in it); the
// OLTP, the company's database there, is neither migrated nor checked. Locally auto-migration stays.
// Azure mode on PGlite is forced on settings loadSettings itself gives (loadSettings refuses an
// embedded database in Azure); on PostgreSQL it comes from WEBSITE_SITE_NAME, as in Azure.
import { spawnSync } from 'node:child_process';
import { sql } from 'kysely';
import { loadSettings, type Settings } from '../../shared/config/settings.js';
import type { ConnectionTarget } from '../../shared/db/connection-string.js';
import { openMigrated } from '../../shared/db/connections.js';
import type { Database } from '../../shared/db/database.js';
import { migrate, migratorFor } from '../../shared/db/migrate.js';
import { expectedVersion, readSchemaVersion, SchemaVersionError } from '../../shared/db/schema-version.js';
import { startingRun } from '../../shared/pipeline/handler-telemetry.js';
import { structuredLogger } from '../../shared/telemetry/logger.js';
import { MIGRATIONS } from '../../sql/migrations/index.js';
import { testEngines, withFreshDatabase } from '../helpers/engines.js';

const DW = Object.keys(MIGRATIONS.dw).sort();
const NEWEST = DW.at(-1)!;
const BEFORE_NEWEST = DW.at(-2)!;

const setting = (target: ConnectionTarget): string =>
  target.engine === 'pglite' ? `pglite:${target.dataDir}` : target.engine === 'postgres' ? target.url : target.connectionString;

/** The settings the app would read in Azure for this warehouse (and this OLTP). */
function azureSettings(dw: ConnectionTarget, oltp: ConnectionTarget = dw): Settings {
  if (dw.engine === 'pglite') return { ...loadSettings({ DW_CONNECTION_STRING: setting(dw), OLTP_CONNECTION_STRING: setting(oltp) }), inAzure: true };
  return loadSettings({
    WEBSITE_SITE_NAME: 'vendas-analytics-test',
    DW_CONNECTION_STRING: setting(dw),
    OLTP_CONNECTION_STRING: setting(oltp),
    AzureWebJobsStorage__accountName: 'vendasraw',
    AzureWebJobsStorage__credential: 'managedidentity',
  });
}

const recorded = async (database: Database) =>
  (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db)).rows.map((r) => r.name);

/** What the warehouse holds of the newest migration (0014: the order counters on the sales fact, read by the KPI views). */
const kpiViews = async (database: Database) =>
  (await database.db.introspection.getTables())
    .filter((t) => t.schema === 'dw' && t.name === 'fact_vendas')
    .flatMap((t) => t.columns.map((c) => c.name))
    .filter((c) => c === 'conta_pedido' || c === 'conta_pedido_vendedor');

describe.each(testEngines().filter((e) => e.name !== 'mssql'))('the schema version in Azure on $name', (engine) => {
  it('a warehouse missing the newest migration refuses with SchemaVersionError and nothing changes in it; migrating opens it', async () => {
    await withFreshDatabase(engine, 'empty', async (database, target) => {
      await migratorFor(database, ['dw']).migrateTo(BEFORE_NEWEST);
      expect(await recorded(database)).toEqual(DW.slice(0, -1));
      const views = await kpiViews(database);
      expect(views).toEqual([]);

      const settings = azureSettings(target);
      const refused = await openMigrated('dw', settings).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(SchemaVersionError);
      expect((refused as Error).message).toBe(
        `the warehouse schema is at ${BEFORE_NEWEST}, the code needs ${NEWEST} (missing: ${NEWEST}); run \`npm run db:migrate\` (the deploy step)`,
      );
      // no DDL ran: the same migrations recorded, the newest one's column still absent
      expect(await recorded(database)).toEqual(DW.slice(0, -1));
      expect(await kpiViews(database)).toEqual([]);

      // the deploy step (npm run db:migrate migrates the warehouse this way), then it opens
      expect((await migrate(database, 'dw')).applied).toEqual([NEWEST]);
      const opened = await openMigrated('dw', settings);
      try {
        expect(await readSchemaVersion(opened, 'dw')).toEqual({ version: NEWEST, expected: NEWEST, current: true, missing: [] });
      } finally {
        await opened.close();
      }
    });
  });

  it('a warehouse never migrated (no migration table) refuses, and no table is created', async () => {
    await withFreshDatabase(engine, 'empty', async (database, target) => {
      const refused = await openMigrated('dw', azureSettings(target)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SchemaVersionError);
      expect((refused as SchemaVersionError).schema).toEqual({ version: null, expected: NEWEST, current: false, missing: DW });
      expect((refused as Error).message).toMatch(/^the warehouse schema is at no migration .*, the code needs /);
      const tables = await database.db.introspection.getTables({ withInternalKyselyTables: true });
      expect(tables.map((t) => t.name)).toEqual([]);
    });
  });

  it('a fully migrated warehouse opens; the OLTP (the company database) is neither migrated nor checked', async () => {
    await withFreshDatabase(engine, 'dw', async (dw, dwTarget) => {
      await withFreshDatabase(engine, 'empty', async (oltp, oltpTarget) => {
        const settings = azureSettings(dwTarget, oltpTarget);
        const opened = await openMigrated('dw', settings);
        await opened.close();
        const source = await openMigrated('oltp', settings);
        await source.close();
        // still empty: no kysely_migration, no oltp schema
        expect(await oltp.db.introspection.getTables({ withInternalKyselyTables: true })).toEqual([]);
        expect((await readSchemaVersion(dw, 'dw')).current).toBe(true);
      });
    });
  });

  it('locally (not in Azure) the same outdated warehouse is migrated on open, as before', async () => {
    await withFreshDatabase(engine, 'empty', async (database, target) => {
      await migratorFor(database, ['dw']).migrateTo(BEFORE_NEWEST);
      const local = { ...azureSettings(target), inAzure: false };
      const opened = await openMigrated('dw', { ...local, OLTP_CONNECTION_STRING: { engine: 'pglite', dataDir: null } });
      await opened.close();
      expect(await recorded(database)).toEqual(DW);
    });
  });

  it('a run that cannot start on an outdated warehouse is reported with the schema message (the alert path)', async () => {
    await withFreshDatabase(engine, 'empty', async (database, target) => {
      await migratorFor(database, ['dw']).migrateTo(BEFORE_NEWEST);
      const lines: string[] = [];
      const log = structuredLogger((level, line) => lines.push(`${level} ${line}`));
      const started = await startingRun(
        log,
        'daily',
        () => openMigrated('dw', azureSettings(target)),
        async () => 'ran',
      ).catch((e: unknown) => e);
      expect(started).toBeInstanceOf(SchemaVersionError);
      const couldNotStart = lines.find((l) => l.includes('the run could not start'));
      expect(couldNotStart).toContain(`SchemaVersionError: the warehouse schema is at ${BEFORE_NEWEST}, the code needs ${NEWEST}`);
      // the final failure's alert line names it too
      expect(lines.filter((l) => l.startsWith('error ') && l.includes('SchemaVersionError')).length).toBeGreaterThanOrEqual(2);
      expect(expectedVersion('dw')).toBe(NEWEST);
    });
  });
});

const postgres = testEngines().find((e) => e.name === 'postgres');
(postgres ? describe : describe.skip)('npm run db:migrate in Azure (PostgreSQL)', () => {
  const migrateCli = (env: Record<string, string>, args: string[] = []) =>
    spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/migrate.ts', ...args], {
      encoding: 'utf8',
      // only what the deployment sets: none of this test process's settings
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });

  it('migrates only the warehouse, refuses the OLTP, and the app then opens the warehouse', async () => {
    await withFreshDatabase(postgres!, 'empty', async (dw, dwTarget) => {
      await withFreshDatabase(postgres!, 'empty', async (oltp, oltpTarget) => {
        await migratorFor(dw, ['dw']).migrateTo(BEFORE_NEWEST);
        const env = {
          WEBSITE_SITE_NAME: 'vendas-analytics-test',
          DW_CONNECTION_STRING: setting(dwTarget),
          OLTP_CONNECTION_STRING: setting(oltpTarget),
          AzureWebJobsStorage__accountName: 'vendasraw',
          AzureWebJobsStorage__credential: 'managedidentity',
        };
        const refused = migrateCli(env, ['--only', 'oltp']);
        expect(refused.status).toBe(1);
        expect(refused.stderr).toMatch(/in Azure \(WEBSITE_SITE_NAME is set\) db:migrate migrates only the warehouse/);

        const run = migrateCli(env);
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        expect(run.stdout).toMatch(new RegExp(`^dw: .*: applied ${NEWEST}$`, 'm'));
        expect(run.stdout).not.toMatch(/^oltp/m);
        expect(await recorded(dw)).toEqual(DW);
        // the source untouched
        expect(await oltp.db.introspection.getTables({ withInternalKyselyTables: true })).toEqual([]);

        const opened = await openMigrated('dw', azureSettings(dwTarget, oltpTarget));
        await opened.close();
        // safe to repeat
        expect(migrateCli(env, ['--only', 'dw']).stdout).toMatch(/^dw: .*: up to date$/m);
      });
    });
  });
});
