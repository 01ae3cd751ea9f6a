// The rules of the users' CI/CD (issue 13, item 8), read from the workflows' YAML:
//   ci.yml      lint and tests with a PostgreSQL service; the engine scenarios on SQL Server 2022
//               and 2025 service containers, health-checked with /opt/mssql-tools18/bin/sqlcmd -C,
//               through TEST_MSSQL_CONNECTION_STRING; az bicep build and lint
//   deploy.yml  only after CI succeeded on main; azd with OIDC; dev, then prod behind its GitHub
//               environment (the approval)
// Each rule is also run on a broken copy of the workflow to show that it fails.
import { parse } from 'yaml';
import { mssqlAuthentication, parseConnectionString } from '../../shared/db/connection-string.js';
import { readText, repoFile } from './infra-files.js';

type Json = Record<string, unknown>;
const object = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]);
const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '');

interface Step {
  uses: string;
  run: string;
  with: Json;
  env: Json;
}
const steps = (job: Json): Step[] =>
  list(job.steps).map((s) => {
    const step = object(s);
    return { uses: text(step.uses), run: text(step.run), with: object(step.with), env: object(step.env) };
  });
const runs = (job: Json): string =>
  steps(job)
    .map((step) => step.run)
    .join('\n');
/** A variable set for the job: in its env or in one of its steps' env. */
const jobEnv = (job: Json, name: string): string | undefined =>
  text(object(job.env)[name]) ||
  steps(job)
    .map((step) => text(step.env[name]))
    .find((value) => value !== '') ||
  undefined;
const environmentOf = (job: Json): string => text(job.environment) || text(object(job.environment).name);
/** `on:` as an object (YAML 1.1 would read a bare `on` as true; the yaml package reads YAML 1.2). */
const triggers = (workflow: Json): Json => {
  const on = workflow.on;
  if (typeof on === 'string') return { [on]: {} };
  if (Array.isArray(on)) return Object.fromEntries(on.map((name) => [text(name), {}]));
  return object(on);
};

/** Every `uses:` pinned to a major version, a full version or a commit (never a branch). */
function unpinnedActions(workflow: Json): string[] {
  return Object.entries(object(workflow.jobs)).flatMap(([id, job]) =>
    steps(object(job))
      .map((step) => step.uses)
      .filter((uses) => uses !== '' && !uses.startsWith('./') && !uses.startsWith('docker://'))
      .filter((uses) => !/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(uses))
      .map((uses) => `${id}: ${uses} is not pinned to a version`),
  );
}

function ciProblems(workflow: Json): string[] {
  const problems = unpinnedActions(workflow);
  const on = triggers(workflow);
  for (const event of ['push', 'pull_request']) if (!(event in on)) problems.push(`ci: not run on ${event}`);
  const jobs = object(workflow.jobs);

  const test = object(jobs.test);
  if (!jobs.test) problems.push('ci: no test job');
  else {
    if (text(test['runs-on']) !== 'ubuntu-latest') problems.push('test: not on ubuntu-latest');
    const node = steps(test).find((step) => /^actions\/setup-node@/.test(step.uses));
    if (text(node?.with['node-version']) !== '22') problems.push('test: Node 22 is not set up with actions/setup-node');
    if (!Object.values(object(test.services)).some((service) => /^postgres:/.test(text(object(service).image)))) problems.push('test: no PostgreSQL service');
    if (!jobEnv(test, 'TEST_POSTGRES_URL')) problems.push('test: TEST_POSTGRES_URL is not set');
    for (const command of ['npm ci', 'npm run lint', 'npm test']) if (!runs(test).includes(command)) problems.push(`test: does not run ${command}`);
    if (!/apt-get install[^\n]*chromium/.test(runs(test))) problems.push('test: Chromium is not installed with apt for the browser tests');
  }

  const mssql = object(jobs.mssql);
  if (!jobs.mssql) problems.push('ci: no mssql job');
  else {
    const matrix = object(object(mssql.strategy).matrix);
    const versions = Object.entries(matrix).find(([, values]) => list(values).some((v) => /-latest$/.test(text(v))));
    const key = versions?.[0];
    for (const tag of ['2022-latest', '2025-latest'])
      if (!list(versions?.[1]).map(text).includes(tag)) problems.push(`mssql: the matrix does not include ${tag}`);
    const services = Object.values(object(mssql.services)).map(object);
    const server = services.find((service) => text(service.image).startsWith('mcr.microsoft.com/mssql/server:'));
    if (!server) problems.push('mssql: no mcr.microsoft.com/mssql/server service');
    else {
      if (!key || !text(server.image).includes(`matrix.${key}`)) problems.push('mssql: the service image does not take its tag from the matrix');
      const options = text(server.options);
      const health = /--health-cmd[= ]"([^"]*)"/.exec(options)?.[1] ?? '';
      if (!health.includes('/opt/mssql-tools18/bin/sqlcmd')) problems.push('mssql: the health check does not use /opt/mssql-tools18/bin/sqlcmd');
      if (!/(^|\s)-C(\s|$)/.test(health)) problems.push('mssql: the health check sqlcmd has no -C (the 2022+ images need it)');
      if (!/SELECT 1/i.test(health)) problems.push('mssql: the health check runs no query');
    }
    const connection = jobEnv(mssql, 'TEST_MSSQL_CONNECTION_STRING');
    if (!connection) problems.push('mssql: TEST_MSSQL_CONNECTION_STRING is not set');
    else {
      try {
        if (parseConnectionString(connection).engine !== 'mssql') problems.push('mssql: TEST_MSSQL_CONNECTION_STRING is not a SQL Server connection');
      } catch (e) {
        problems.push(`mssql: TEST_MSSQL_CONNECTION_STRING is refused by the app: ${(e as Error).message}`);
      }
    }
    if (!/helpers\/engines/.test(runs(mssql)) || !/jest|npm (run )?test/.test(runs(mssql))) problems.push('mssql: does not run the engine scenario tests');
  }

  const bicep = object(jobs.bicep);
  if (!jobs.bicep) problems.push('ci: no bicep job');
  else {
    if (!/az bicep build --file infra\/main\.bicep/.test(runs(bicep))) problems.push('bicep: no az bicep build --file infra/main.bicep');
    if (!/az bicep lint/.test(runs(bicep))) problems.push('bicep: no az bicep lint');
  }
  return problems;
}

function deployProblems(workflow: Json, ciName: string): string[] {
  const problems = unpinnedActions(workflow);
  const on = triggers(workflow);
  const others = Object.keys(on).filter((event) => event !== 'workflow_run');
  if (others.length > 0) problems.push(`deploy: also triggered by ${others.join(', ')} (it must run only after CI)`);
  const run = object(on.workflow_run);
  if (!list(run.workflows).map(text).includes(ciName)) problems.push(`deploy: not triggered by the ${ciName} workflow`);
  if (!list(run.types).map(text).includes('completed')) problems.push('deploy: not triggered when CI completes');
  if (!list(run.branches).map(text).includes('main')) problems.push('deploy: not limited to main');

  const jobs = Object.entries(object(workflow.jobs)).map(([id, job]) => ({ id, job: object(job) }));
  const permissions = object(workflow.permissions);
  const byEnvironment = (name: string) => jobs.find(({ job }) => environmentOf(job) === name);
  const dev = byEnvironment('dev');
  const prod = byEnvironment('prod');
  if (!dev) problems.push('deploy: no job in the dev environment');
  if (!prod) problems.push('deploy: no job in the prod environment (the approval gate)');
  if (dev && !/workflow_run\.conclusion\s*==\s*'success'/.test(text(dev.job.if))) problems.push(`deploy: ${dev.id} does not check that CI succeeded`);
  if (dev && prod && !list(prod.job.needs).map(text).includes(dev.id)) problems.push(`deploy: ${prod.id} does not wait for ${dev.id}`);
  for (const { id, job } of [dev, prod].filter((entry) => entry !== undefined)) {
    if (text(object(job.permissions)['id-token'] ?? permissions['id-token']) !== 'write') problems.push(`deploy: ${id} has no id-token: write (OIDC)`);
    const all = steps(job);
    if (!all.some((step) => /^azure\/setup-azd@/i.test(step.uses))) problems.push(`deploy: ${id} does not install azd with Azure/setup-azd`);
    if (!/azd auth login[^\n]*--federated-credential-provider github/.test(runs(job)))
      problems.push(`deploy: ${id} does not sign azd in with the GitHub federated credential`);
    if (!/azd (up|provision)/.test(runs(job)) || !/azd (up|deploy)/.test(runs(job))) problems.push(`deploy: ${id} does not provision and deploy with azd`);
    const checkout = all.find((step) => /^actions\/checkout@/.test(step.uses));
    if (!text(checkout?.with.ref).includes('workflow_run.head_sha')) problems.push(`deploy: ${id} does not check out the commit CI tested`);
  }
  return problems;
}

const ci = (): Json => object(parse(readText(repoFile('.github', 'workflows', 'ci.yml'))));
const deploy = (): Json => object(parse(readText(repoFile('.github', 'workflows', 'deploy.yml'))));

describe('.github/workflows/ci.yml', () => {
  it('follows the CI rules', () => {
    expect(ciProblems(ci())).toEqual([]);
  });

  it('points the SQL Server suite at a connection string the app accepts (SQL login on the throwaway container)', () => {
    const connection = jobEnv(object(object(ci().jobs).mssql), 'TEST_MSSQL_CONNECTION_STRING') ?? '';
    expect(mssqlAuthentication(connection).kind).toBe('sql');
  });
});

describe('.github/workflows/deploy.yml', () => {
  it('follows the deploy rules', () => {
    expect(deployProblems(deploy(), text(ci().name))).toEqual([]);
  });
});

describe('the workflow rules report what is wrong (each check can fail)', () => {
  it('CI without SQL Server 2025, with a health check lacking -C, no connection string, no lint of the templates, an action on a branch', () => {
    const broken = ci();
    const mssql = object(object(broken.jobs).mssql);
    object(mssql.strategy).matrix = { mssql: ['2022-latest'] };
    const service = Object.values(object(mssql.services)).map(object)[0]!;
    service.options = text(service.options).replace(' -C ', ' ');
    delete object(mssql.env).TEST_MSSQL_CONNECTION_STRING;
    const bicep = object(object(broken.jobs).bicep);
    bicep.steps = list(bicep.steps).filter((step) => !/az bicep lint/.test(text(object(step).run)));
    const test = object(object(broken.jobs).test);
    object(list(test.steps)[0]).uses = 'actions/checkout@main';
    expect(ciProblems(broken)).toEqual([
      'test: actions/checkout@main is not pinned to a version',
      'mssql: the matrix does not include 2025-latest',
      'mssql: the health check sqlcmd has no -C (the 2022+ images need it)',
      'mssql: TEST_MSSQL_CONNECTION_STRING is not set',
      'bicep: no az bicep lint',
    ]);
  });

  it('CI without the PostgreSQL service, the mssql job or a test trigger', () => {
    const broken = ci();
    delete object(object(broken.jobs).test).services;
    delete object(broken.jobs).mssql;
    broken.on = { push: {} };
    expect(ciProblems(broken)).toEqual(['ci: not run on pull_request', 'test: no PostgreSQL service', 'ci: no mssql job']);
  });

  it('a SQL Server connection string the app refuses', () => {
    const broken = ci();
    object(object(object(broken.jobs).mssql).env).TEST_MSSQL_CONNECTION_STRING = 'Server=tcp:localhost,1433;User Id=sa';
    expect(ciProblems(broken)).toEqual(['mssql: TEST_MSSQL_CONNECTION_STRING is refused by the app: SQL Server connection string has no Database=']);
  });

  it('deploy on every push, prod without its environment or the wait for dev, no OIDC permission, dev not checking CI', () => {
    const broken = deploy();
    object(broken.on).push = { branches: ['main'] };
    delete object(broken.permissions)['id-token'];
    const jobs = object(broken.jobs);
    delete object(jobs.dev).if;
    delete object(jobs.prod).environment;
    expect(deployProblems(broken, 'CI')).toEqual([
      'deploy: also triggered by push (it must run only after CI)',
      'deploy: no job in the prod environment (the approval gate)',
      'deploy: dev does not check that CI succeeded',
      'deploy: dev has no id-token: write (OIDC)',
    ]);
    object(jobs.prod).environment = 'prod';
    delete object(jobs.prod).needs;
    expect(deployProblems(broken, 'CI')).toEqual(expect.arrayContaining(['deploy: prod does not wait for dev']));
  });

  it('deploy triggered by another workflow, without azd or the tested commit', () => {
    const broken = deploy();
    object(object(broken.on).workflow_run).workflows = ['Nightly'];
    const dev = object(object(broken.jobs).dev);
    dev.steps = list(dev.steps).filter((step) => !/setup-azd|checkout/.test(text(object(step).uses)));
    expect(deployProblems(broken, 'CI')).toEqual([
      'deploy: not triggered by the CI workflow',
      'deploy: dev does not install azd with Azure/setup-azd',
      'deploy: dev does not check out the commit CI tested',
    ]);
  });
});
