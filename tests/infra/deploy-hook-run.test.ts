// infra/hooks/postprovision.sh, run for real with stand-ins for the tools it calls (az, curl,
// sqlcmd, npm: small scripts that record their arguments), since no Azure or SQL Server can be
// reached here: it opens the firewall to this machine, waits for the database, migrates the
// warehouse with the deployer's Entra connection, creates the app identity's user with the grants
// script, and removes the firewall rule on the way out, also when a step fails. Missing outputs
// and the ODBC sqlcmd stop it before it touches Azure.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoFile } from './infra-files.js';

const hook = repoFile('infra', 'hooks', 'postprovision.sh');

const OUTPUTS = {
  AZURE_RESOURCE_GROUP: 'rg-vendas-dev',
  AZURE_SQL_SERVER_NAME: 'sql-vendas-abc',
  AZURE_SQL_SERVER_FQDN: 'sql-vendas-abc.database.windows.net',
  AZURE_SQL_DATABASE_NAME: 'vendas-dw',
  AZURE_APP_IDENTITY_NAME: 'id-vendas-abc',
  AZURE_APP_IDENTITY_CLIENT_ID: '0f8fad5b-d9cb-469f-a165-70867728950e',
};

// Each stand-in appends one line per call: the tool, then its arguments joined by '|'.
const STUBS: Record<string, string> = {
  az: 'echo "az|$(IFS="|"; echo "$*")" >> "$CALLS"',
  curl: 'echo "curl|$(IFS="|"; echo "$*")" >> "$CALLS"; echo 203.0.113.7',
  npm: 'echo "npm|$(IFS="|"; echo "$*")|DW=$DW_CONNECTION_STRING" >> "$CALLS"',
  sqlcmd: [
    'if [ "$1" = "--help" ]; then echo "${SQLCMD_HELP:---authentication-method string   Specifies the SQL authentication method}"; exit 0; fi',
    'echo "sqlcmd|$(IFS="|"; echo "$*")" >> "$CALLS"',
    'case "$*" in *--input-file*) [ -z "${FAIL_GRANTS:-}" ] || { echo "Msg 15151: cannot alter the role" >&2; exit 1; } ;; esac',
  ].join('\n'),
};

interface Run {
  status: number;
  calls: string[];
  stderr: string;
}

function runHook(env: Record<string, string>): Run {
  const dir = mkdtempSync(join(tmpdir(), 'postprovision-'));
  try {
    const bin = join(dir, 'bin');
    execFileSync('mkdir', [bin]);
    for (const [tool, body] of Object.entries(STUBS)) {
      writeFileSync(join(bin, tool), `#!/usr/bin/env bash\n${body}\n`);
      chmodSync(join(bin, tool), 0o755);
    }
    const calls = join(dir, 'calls');
    writeFileSync(calls, '');
    let status = 0;
    let stderr = '';
    try {
      execFileSync('bash', [hook], { env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir, CALLS: calls, ...env }, stdio: 'pipe' });
    } catch (e) {
      const failure = e as { status?: number; stderr?: Buffer };
      status = failure.status ?? 1;
      stderr = String(failure.stderr ?? '');
    }
    return { status, calls: readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean), stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tool = (calls: string[], name: string) => calls.filter((call) => call.startsWith(`${name}|`));

describe('infra/hooks/postprovision.sh with stand-in tools', () => {
  it('opens the firewall, waits for the database, migrates, creates the user with its grants, closes the firewall', () => {
    const run = runHook(OUTPUTS);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const rule = 'azd-postprovision-203-0-113-7';
    const steps = run.calls.map((call) => call.split('|').slice(0, 4).join(' '));
    expect(steps).toEqual([
      'curl -fsS --max-time 20',
      'az sql server firewall-rule',
      'sqlcmd --server tcp:sql-vendas-abc.database.windows.net,1433 --database-name',
      'npm run --silent db:migrate',
      'sqlcmd --server tcp:sql-vendas-abc.database.windows.net,1433 --database-name',
      'az sql server firewall-rule',
    ]);
    const [open, close] = tool(run.calls, 'az');
    expect(open).toBe(
      `az|sql|server|firewall-rule|create|--resource-group|rg-vendas-dev|--server|sql-vendas-abc|--name|${rule}|--start-ip-address|203.0.113.7|--end-ip-address|203.0.113.7|--output|none`,
    );
    expect(close).toBe(`az|sql|server|firewall-rule|delete|--resource-group|rg-vendas-dev|--server|sql-vendas-abc|--name|${rule}|--output|none`);
    const [probe, grants] = tool(run.calls, 'sqlcmd');
    expect(probe).toContain('--authentication-method|ActiveDirectoryDefault|--exit-on-error|--query|SELECT 1');
    expect(grants).toContain('--database-name|vendas-dw|--authentication-method|ActiveDirectoryDefault');
    expect(grants).toContain('--variables|APP_IDENTITY_NAME=id-vendas-abc|--variables|APP_IDENTITY_CLIENT_ID=0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(grants).toContain(`--input-file|${repoFile('infra', 'hooks', 'app-database-user.sql')}`);
    expect(tool(run.calls, 'npm')).toEqual([
      'npm|run|--silent|db:migrate|--|--only|dw|DW=Server=tcp:sql-vendas-abc.database.windows.net,1433;Database=vendas-dw;Authentication=Active Directory Default;Encrypt=true',
    ]);
  });

  it('removes the firewall rule when a step fails, and fails itself', () => {
    const run = runHook({ ...OUTPUTS, FAIL_GRANTS: '1' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Msg 15151');
    expect(tool(run.calls, 'az').map((call) => call.split('|')[4])).toEqual(['create', 'delete']);
  });

  it('leaves the firewall alone with SQL_FIREWALL_OPEN=false', () => {
    const run = runHook({ ...OUTPUTS, SQL_FIREWALL_OPEN: 'false' });
    expect(run.status).toBe(0);
    expect(tool(run.calls, 'az')).toEqual([]);
    expect(tool(run.calls, 'curl')).toEqual([]);
  });

  it('stops before touching Azure when an output is missing, or the sqlcmd is the ODBC one', () => {
    const { AZURE_SQL_SERVER_FQDN: _fqdn, ...missing } = OUTPUTS;
    const noOutput = runHook(missing);
    expect(noOutput.status).toBe(1);
    expect(noOutput.stderr).toContain('AZURE_SQL_SERVER_FQDN is not set');
    expect(noOutput.calls).toEqual([]);
    const odbc = runHook({ ...OUTPUTS, SQLCMD_HELP: 'usage: sqlcmd [-U login id] [-P password] [-G use Azure Active Directory for authentication]' });
    expect(odbc.status).toBe(1);
    expect(odbc.stderr).toContain('not go-sqlcmd');
    expect(odbc.calls).toEqual([]);
  });
});
