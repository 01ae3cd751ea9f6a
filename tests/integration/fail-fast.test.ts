// In Azure (WEBSITE_SITE_NAME set) a command started without its settings stops at once with a
// non-zero exit naming each missing setting, instead of falling back to the embedded database and
// the storage emulator. Real child processes of the npm scripts, with only the variables given.
import { spawnSync } from 'node:child_process';

const MISSING = /is required when running in Azure/;

function command(script: string, env: Record<string, string>, args: string[] = []) {
  const run = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', script, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    // nothing of this test process's settings leaks in
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', WEBSITE_SITE_NAME: 'vendas-analytics-test', ...env },
  });
  return { status: run.status, stderr: run.stderr, stdout: run.stdout };
}

describe('fail fast in Azure', () => {
  it('npm run pipeline without database or storage settings exits non-zero naming each one', () => {
    const run = command('scripts/pipeline.ts', {});
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`OLTP_CONNECTION_STRING: ${MISSING.source}`));
    expect(run.stderr).toMatch(new RegExp(`DW_CONNECTION_STRING: ${MISSING.source}`));
    expect(run.stderr).toMatch(new RegExp(`AzureWebJobsStorage: ${MISSING.source}`));
    // stopped before anything started: no emulator, no embedded database, no stack trace
    expect(run.stdout).not.toMatch(/Azurite|seeding/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('names only what is missing or embedded, never a value', () => {
    const run = command('scripts/pipeline.ts', {
      OLTP_CONNECTION_STRING: 'postgres://reader:hunter2@oltp.example.net:5432/loja',
      DW_CONNECTION_STRING: 'pglite:.data/hunter2',
      AzureWebJobsStorage__accountName: 'vendasraw',
      AzureWebJobsStorage__credential: 'managedidentity',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/DW_CONNECTION_STRING: names an embedded PGlite database, which cannot run in Azure/);
    expect(run.stderr).not.toMatch(/OLTP_CONNECTION_STRING|AzureWebJobsStorage/);
    expect(run.stderr + run.stdout).not.toContain('hunter2');
  });

  it('every CLI command alike: db:migrate and dw:check refuse the storage emulator', () => {
    const env = {
      OLTP_CONNECTION_STRING: 'postgres://reader@oltp.example.net:5432/loja',
      DW_CONNECTION_STRING: 'postgres://etl@dw.example.net:5432/dw',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    };
    for (const script of ['scripts/migrate.ts', 'scripts/dw-check.ts']) {
      const run = command(script, env);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/AzureWebJobsStorage: names the local storage emulator, which does not exist in Azure/);
    }
  });
});
