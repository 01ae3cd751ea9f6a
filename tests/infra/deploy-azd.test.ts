// What `azd up` reads besides the template: azure.yaml (the service and the post-provision
// hook), infra/main.parameters.json (each parameter exists in main.bicep, every required one is
// given, every value comes from the azd environment), and infra/hooks/postprovision.sh (valid
// bash, strict mode, the outputs it reads exist, migrations before the grants, the connection
// strings it builds are ones the app accepts). The deploy workflow passes every environment
// variable the parameters read. Each rule also runs on broken input to show that it fails.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { mssqlAuthentication, parseConnectionString } from '../../shared/db/connection-string.js';
import { freeBicepParser, loadBicepParser, readBicep, type BicepModel } from './deploy-bicep-model.js';
import { mainTemplate, readText, repoFile } from './infra-files.js';

type Json = Record<string, unknown>;
const object = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Set by azd itself, not by the user or the workflow. */
const AZD_PROVIDED = ['AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_PRINCIPAL_ID', 'AZURE_SUBSCRIPTION_ID'];

function azureYamlProblems(azureYaml: Json, fileExists: (path: string) => boolean, isExecutable: (path: string) => boolean): string[] {
  const problems: string[] = [];
  const api = object(object(azureYaml.services).api);
  if (!azureYaml.services || Object.keys(api).length === 0) problems.push('azure.yaml: no service api');
  if (text(api.project) !== '.') problems.push('azure.yaml: service api is not the repository root (project: .)');
  if (text(api.host) !== 'function') problems.push('azure.yaml: service api is not hosted as a function app');
  if (!['ts', 'js', 'typescript', 'javascript'].includes(text(api.language))) problems.push('azure.yaml: service api is not TypeScript/JavaScript');
  const infra = object(azureYaml.infra);
  const template = `${text(infra.path) || 'infra'}/${text(infra.module) || 'main'}.bicep`;
  if (!fileExists(template)) problems.push(`azure.yaml: the template ${template} does not exist`);
  const hook = object(object(object(azureYaml.hooks).postprovision).posix);
  const run = text(hook.run);
  if (!run) problems.push('azure.yaml: no posix postprovision hook');
  else if (!fileExists(run)) problems.push(`azure.yaml: the postprovision hook ${run} does not exist`);
  else if (!isExecutable(run)) problems.push(`azure.yaml: the postprovision hook ${run} is not executable`);
  if (hook.continueOnError === true) problems.push('azure.yaml: a failed postprovision hook would not stop azd');
  return problems;
}

/** The environment variables a parameters file value reads: ${NAME} or ${NAME=default}. */
const variablesOf = (value: string): Array<{ name: string; hasDefault: boolean }> =>
  [...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(=[^}]*)?\}/g)].map((match) => ({ name: match[1] ?? '', hasDefault: match[2] !== undefined }));

function parametersProblems(parametersJson: Json, model: BicepModel, workflowEnv: string[]): string[] {
  const problems: string[] = [];
  const parameters = object(parametersJson.parameters);
  const declared = new Map(model.params.map((param) => [param.name, param]));
  for (const [name, entry] of Object.entries(parameters)) {
    if (!declared.has(name)) problems.push(`main.parameters.json: ${name} is not a parameter of main.bicep`);
    const value = object(entry).value;
    if (typeof value !== 'string' || !/^\$\{[^}]+\}$/.test(value)) {
      problems.push(`main.parameters.json: ${name} is not taken from the azd environment (\${NAME})`);
      continue;
    }
    for (const variable of variablesOf(value)) {
      if (!AZD_PROVIDED.includes(variable.name) && !workflowEnv.includes(variable.name))
        problems.push(`main.parameters.json: ${name} reads ${variable.name}, which .github/workflows/deploy.yml does not set`);
    }
  }
  for (const param of model.params) {
    if (!param.hasDefault && !(param.name in parameters)) problems.push(`main.parameters.json: the required parameter ${param.name} is not given`);
  }
  return problems;
}

function hookProblems(script: string, model: BicepModel, bashSyntax: (script: string) => string | undefined): string[] {
  const problems: string[] = [];
  const syntax = bashSyntax(script);
  if (syntax !== undefined) problems.push(`postprovision.sh: bash -n: ${syntax}`);
  if (!script.startsWith('#!/usr/bin/env bash\n') && !script.startsWith('#!/bin/bash\n')) problems.push('postprovision.sh: no bash shebang');
  if (!/^set -euo pipefail$/m.test(script)) problems.push('postprovision.sh: not in strict mode (set -euo pipefail)');
  // the azd outputs it requires: need NAME NAME ...
  const needed = [...script.matchAll(/^need ([A-Z_ ]+)$/gm)].flatMap((match) => (match[1] ?? '').trim().split(/\s+/));
  if (needed.length === 0) problems.push('postprovision.sh: checks none of the outputs it reads');
  for (const name of needed) if (!model.outputs.includes(name)) problems.push(`postprovision.sh: reads ${name}, which main.bicep does not output`);
  const migrate = script.search(/npm run[^\n]*db:migrate -- --only dw/);
  const grants = script.indexOf('app-database-user.sql');
  if (migrate < 0) problems.push('postprovision.sh: does not migrate the warehouse (npm run db:migrate -- --only dw)');
  if (grants < 0) problems.push('postprovision.sh: does not create the app identity database user');
  if (migrate >= 0 && grants >= 0 && grants < migrate) problems.push('postprovision.sh: grants before the migrations created the objects they name');
  if (!/--authentication-method ActiveDirectoryDefault/.test(script))
    problems.push("postprovision.sh: sqlcmd does not sign in with the deployer's Entra identity");
  return problems;
}

/** The DW_CONNECTION_STRING a script or template builds, with its variables replaced by sample values. */
const sampleConnection = (template: string): string =>
  template
    .replace(/\$\{?AZURE_SQL_SERVER_FQDN\}?|\$\{sqlServer\.outputs\.fullyQualifiedDomainName\}/g, 'sql-vendas-x.database.windows.net')
    .replace(/\$\{?AZURE_SQL_DATABASE_NAME\}?|\$\{warehouseDatabaseName\}/g, 'vendas-dw')
    .replace(/\$\{appIdentity\.outputs\.clientId\}/g, '0f8fad5b-d9cb-469f-a165-70867728950e');

function bashSyntax(script: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'hook-'));
  try {
    const file = join(dir, 'hook.sh');
    writeFileSync(file, script);
    execFileSync('bash', ['-n', file], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const exists = (path: string) => existsSync(repoFile(path));
const executable = (path: string) => (statSync(repoFile(path)).mode & 0o111) !== 0;
const deployEnv = (): string[] =>
  Object.values(object(object(parse(readText(repoFile('.github', 'workflows', 'deploy.yml')))).jobs)).flatMap((job) => Object.keys(object(object(job).env)));

beforeAll(loadBicepParser);
afterAll(freeBicepParser);

describe('azd: azure.yaml, main.parameters.json and the post-provision hook', () => {
  let model: BicepModel;
  const hook = readText(repoFile('infra', 'hooks', 'postprovision.sh'));
  beforeAll(() => {
    model = readBicep(readText(mainTemplate));
  });

  it('azure.yaml deploys the repository as the function app service api and runs the hook after provisioning', () => {
    expect(azureYamlProblems(object(parse(readText(repoFile('azure.yaml')))), exists, executable)).toEqual([]);
  });

  it('main.parameters.json gives main.bicep its parameters from the azd environment, and deploy.yml sets each variable', () => {
    expect(parametersProblems(object(JSON.parse(readText(repoFile('infra', 'main.parameters.json')))), model, deployEnv())).toEqual([]);
  });

  it('postprovision.sh is strict bash that reads existing outputs and migrates before granting', () => {
    expect(hookProblems(hook, model, bashSyntax)).toEqual([]);
  });

  it("builds the deployer's warehouse connection (Active Directory Default) in a form the app accepts, like the app's own (Managed Identity)", () => {
    const deployer = sampleConnection(/DW_CONNECTION_STRING="([^"]+)"/.exec(hook)?.[1] ?? '');
    expect(parseConnectionString(deployer).engine).toBe('mssql');
    expect(mssqlAuthentication(deployer)).toEqual({ kind: 'default' });
    const appSetting = model.appSettings.find((setting) => setting.name === 'DW_CONNECTION_STRING')?.value.text ?? '';
    const app = sampleConnection(appSetting.slice(1, -1));
    expect(parseConnectionString(app).engine).toBe('mssql');
    expect(mssqlAuthentication(app)).toEqual({ kind: 'managed-identity', clientId: '0f8fad5b-d9cb-469f-a165-70867728950e' });
  });
});

describe('the azd rules report what is wrong (each check can fail)', () => {
  let model: BicepModel;
  beforeAll(() => {
    model = readBicep(readText(mainTemplate));
  });

  it('azure.yaml: a web app service elsewhere, no template, a missing hook that may fail silently', () => {
    const broken = {
      services: { api: { project: './src', host: 'appservice', language: 'python' } },
      infra: { path: 'deploy' },
      hooks: { postprovision: { posix: { run: 'hooks/nope.sh', continueOnError: true } } },
    };
    expect(azureYamlProblems(broken, exists, executable)).toEqual([
      'azure.yaml: service api is not the repository root (project: .)',
      'azure.yaml: service api is not hosted as a function app',
      'azure.yaml: service api is not TypeScript/JavaScript',
      'azure.yaml: the template deploy/main.bicep does not exist',
      'azure.yaml: the postprovision hook hooks/nope.sh does not exist',
      'azure.yaml: a failed postprovision hook would not stop azd',
    ]);
  });

  it('main.parameters.json: an unknown parameter, a literal value, a variable the workflow does not set, a required parameter left out', () => {
    const broken = {
      parameters: {
        environmentName: { value: '${AZURE_ENV_NAME}' },
        location: { value: 'westeurope' },
        nope: { value: '${NOPE}' },
        oltpConnectionStringSecretUri: { value: '${OLTP_URI}' },
      },
    };
    expect(parametersProblems(broken, model, ['OLTP_CONNECTION_STRING_SECRET_URI'])).toEqual([
      'main.parameters.json: location is not taken from the azd environment (${NAME})',
      'main.parameters.json: nope is not a parameter of main.bicep',
      'main.parameters.json: nope reads NOPE, which .github/workflows/deploy.yml does not set',
      'main.parameters.json: oltpConnectionStringSecretUri reads OLTP_URI, which .github/workflows/deploy.yml does not set',
      'main.parameters.json: the required parameter principalId is not given',
      'main.parameters.json: the required parameter opsAlertEmails is not given',
    ]);
  });

  it('postprovision.sh: a syntax error, no strict mode, an output main.bicep lacks, grants before migrations, a password sign-in', () => {
    const broken = [
      '#!/usr/bin/env bash',
      'set -e',
      'need AZURE_SQL_SERVER_FQDN AZURE_SQL_PASSWORD',
      'sqlcmd -U sa -i infra/hooks/app-database-user.sql',
      'npm run db:migrate -- --only dw',
      'if [ -z "$x" ]; then',
      '  echo unterminated',
    ].join('\n');
    expect(hookProblems(broken, model, bashSyntax)).toEqual([
      expect.stringMatching(/^postprovision\.sh: bash -n: .*syntax error/),
      'postprovision.sh: not in strict mode (set -euo pipefail)',
      'postprovision.sh: reads AZURE_SQL_PASSWORD, which main.bicep does not output',
      'postprovision.sh: grants before the migrations created the objects they name',
      "postprovision.sh: sqlcmd does not sign in with the deployer's Entra identity",
    ]);
  });
});
