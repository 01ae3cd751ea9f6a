// infra/main.bicep, what `azd up` provisions, checked offline (tree-sitter-bicep; no Bicep CLI, no
// Azure): it parses, uses every Azure Verified Module the deployment needs pinned to an exact
// version, wires the alerts module, configures Flex Consumption with Node 22 and the app's
// user-assigned identity, keeps storage keyless and SQL Entra-only, assigns the identity's roles
// and outputs what azd and the post-provision hook read. Each rule is also run on a broken
// template to show that it fails. `az bicep build` (the bicep job of .github/workflows/ci.yml) still
// has to resolve the modules' parameters: that needs the registry.
import { loadBicepParser, freeBicepParser, modulePath, PINNED_MODULE, readBicep, type BicepModel } from './deploy-bicep-model.js';
import { mainTemplate, readText } from './infra-files.js';

/** The Azure Verified Modules the deployment is built from (issue 13, item 1). */
const REQUIRED_MODULES = [
  'avm/res/web/site',
  'avm/res/web/serverfarm',
  'avm/res/storage/storage-account',
  'avm/res/operational-insights/workspace',
  'avm/res/insights/component',
  'avm/res/sql/server',
  'avm/res/managed-identity/user-assigned-identity',
];

// Built-in role definition ids the app's identity needs.
const ROLES = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
};

/** Outputs azd writes to the environment and infra/hooks/postprovision.sh or the docs rely on. */
const REQUIRED_OUTPUTS = [
  'AZURE_LOCATION',
  'AZURE_TENANT_ID',
  'AZURE_RESOURCE_GROUP',
  'AZURE_FUNCTION_APP_NAME',
  'AZURE_SQL_SERVER_NAME',
  'AZURE_SQL_SERVER_FQDN',
  'AZURE_SQL_DATABASE_NAME',
  'AZURE_APP_IDENTITY_NAME',
  'AZURE_APP_IDENTITY_CLIENT_ID',
];

/** Every way main.bicep can fall short of the deployment's rules, as readable lines. */
function templateProblems(model: BicepModel): string[] {
  const problems = [...model.syntaxErrors];
  const registry = model.modules.filter((module) => module.source.startsWith('br'));
  for (const module of registry) {
    if (!PINNED_MODULE.test(module.source)) problems.push(`module ${module.symbol}: ${module.source} is not pinned to an exact x.y.z version`);
  }
  for (const path of REQUIRED_MODULES) {
    if (!registry.some((module) => modulePath(module.source) === path)) problems.push(`no module uses br/public:${path}`);
  }
  if (model.targetScope !== 'subscription')
    problems.push(`targetScope is ${model.targetScope ?? 'unset'}, expected subscription (azd creates the resource group)`);

  const bySource = (path: string) => registry.find((module) => modulePath(module.source) === path);
  const text = (path: string, param: string) => bySource(path)?.params[param]?.text ?? '';

  const alerts = model.modules.find((module) => module.source === 'monitoring/alerts.bicep');
  if (!alerts) problems.push('the alerts module (monitoring/alerts.bicep) is not deployed');
  else {
    for (const param of ['appInsightsId', 'alertEmails', 'namePrefix']) if (!alerts.params[param]) problems.push(`alerts module: ${param} is not passed`);
  }

  const site = bySource('avm/res/web/site');
  if (site) {
    if (!/functionapp/.test(text('avm/res/web/site', 'kind'))) problems.push('web/site: kind is not a function app');
    const config = text('avm/res/web/site', 'functionAppConfig');
    if (!/runtime:\s*{[^}]*name:\s*'node'[^}]*version:\s*'22'/.test(config)) problems.push("web/site: functionAppConfig.runtime is not node '22'");
    if (!/UserAssignedIdentity/.test(config))
      problems.push('web/site: the Flex Consumption deployment storage does not authenticate with the user-assigned identity');
    if (!/userAssignedResourceIds/.test(text('avm/res/web/site', 'managedIdentities'))) problems.push('web/site: no user-assigned identity');
    if (!site.params.keyVaultAccessIdentityResourceId) problems.push('web/site: keyVaultAccessIdentityResourceId (keyVaultReferenceIdentity) is not set');
    const settingVariables = [...new Set(model.appSettings.map((setting) => setting.variable))];
    const configs = site.params.configs;
    for (const variable of settingVariables) {
      if (!configs?.identifiers.includes(variable)) problems.push(`web/site: the app settings in ${variable} are not passed to configs`);
    }
  }
  if (!/'FC1'/.test(text('avm/res/web/serverfarm', 'skuName'))) problems.push('web/serverfarm: skuName is not FC1 (Flex Consumption)');
  if (text('avm/res/storage/storage-account', 'allowSharedKeyAccess') !== 'false') problems.push('storage-account: allowSharedKeyAccess is not false');
  if (!/azureADOnlyAuthentication:\s*true/.test(text('avm/res/sql/server', 'administrators')))
    problems.push('sql/server: administrators.azureADOnlyAuthentication is not true (Entra-only)');
  if (!/databases/.test(Object.keys(bySource('avm/res/sql/server')?.params ?? {}).join(' '))) problems.push('sql/server: no warehouse database');
  if (!bySource('avm/res/insights/component')?.params.workspaceResourceId) problems.push('insights/component: not workspace-based (no workspaceResourceId)');

  // Role assignments: by role id, on the resource whose data the app reads and writes.
  const roleAssignments = (path: string) => text(path, 'roleAssignments') + text(path, 'roles');
  const roleIds = Object.values(model.variables)
    .map((variable) => variable.text)
    .join('\n');
  const assigned = (path: string, role: keyof typeof ROLES) => {
    const names = roleAssignments(path);
    if (names.includes(ROLES[role]) || names.includes(role)) return true;
    // a variable holding the id: roles.storageBlobDataOwner
    return [...names.matchAll(/roles\.(\w+)/g)].some((match) => new RegExp(`${match[1]}:\\s*'${ROLES[role]}'`).test(roleIds));
  };
  if (!assigned('avm/res/storage/storage-account', 'Storage Blob Data Owner'))
    problems.push('storage-account: the app identity is not Storage Blob Data Owner');
  if (!assigned('avm/res/storage/storage-account', 'Storage Queue Data Contributor'))
    problems.push('storage-account: the app identity is not Storage Queue Data Contributor');
  if (!assigned('avm/res/insights/component', 'Monitoring Metrics Publisher'))
    problems.push('insights/component: the app identity is not Monitoring Metrics Publisher');

  for (const output of REQUIRED_OUTPUTS) if (!model.outputs.includes(output)) problems.push(`output ${output} is missing`);
  return problems;
}

/** Parameters named like a secret but not @secure() (*SecretUri parameters name a Key Vault secret; they are not one). */
const unsecuredSecretParams = (model: BicepModel): string[] =>
  model.params
    .filter((param) => /password|secret|token|key|connectionstring|webhook/i.test(param.name) && !/SecretUri$/.test(param.name) && !param.secure)
    .map((param) => param.name);

beforeAll(loadBicepParser);
afterAll(freeBicepParser);

describe('infra/main.bicep', () => {
  let model: BicepModel;
  beforeAll(() => {
    model = readBicep(readText(mainTemplate));
  });

  it('meets every deployment rule', () => {
    expect(templateProblems(model)).toEqual([]);
  });

  it('uses each required Azure Verified Module, pinned', () => {
    const registry = model.modules.filter((module) => module.source.startsWith('br'));
    expect(registry.map((module) => modulePath(module.source)).sort()).toEqual(expect.arrayContaining(REQUIRED_MODULES));
    expect(registry.every((module) => PINNED_MODULE.test(module.source))).toBe(true);
  });

  it('declares no secret as a plain parameter: any parameter named like a secret is @secure()', () => {
    expect(unsecuredSecretParams(model)).toEqual([]);
  });

  it('never reads a storage account key', () => {
    expect(readText(mainTemplate)).not.toMatch(/listKeys\s*\(/);
  });
});

describe('the main.bicep rules report what is wrong (each check can fail)', () => {
  const broken = [
    "targetScope = 'resourceGroup'",
    "module site 'br/public:avm/res/web/site:latest' = {",
    "  name: 'site'",
    '  params: {',
    "    kind: 'app'",
    '    functionAppConfig: {',
    "      runtime: { name: 'node', version: '20' }",
    '    }',
    '  }',
    '}',
    "module plan 'br/public:avm/res/web/serverfarm:0.5.0' = {",
    "  name: 'plan'",
    "  params: { skuName: 'Y1' }",
    '}',
    "module storage 'br/public:avm/res/storage/storage-account:0.32.0' = {",
    "  name: 'st'",
    '  params: { allowSharedKeyAccess: true }',
    '}',
    "module sql 'br/public:avm/res/sql/server:0.20' = {",
    "  name: 'sql'",
    "  params: { administrators: { azureADOnlyAuthentication: false, login: 'a', sid: 'b', principalType: 'User' } }",
    '}',
    "var appSettings = { A: 'b' }",
    'param sqlPassword string',
    "output AZURE_LOCATION string = 'x'",
  ].join('\n');
  let problems: string[];
  let model: BicepModel;
  beforeAll(() => {
    model = readBicep(broken);
    problems = templateProblems(model);
  });

  it('a syntax error', () => {
    const unterminated = readBicep("param name string = 'vendas\nmodule x 'br/public:avm/res/web/site:0.22.0' = {\n");
    expect(unterminated.syntaxErrors.length).toBeGreaterThan(0);
    expect(templateProblems(unterminated)).toEqual(expect.arrayContaining([expect.stringMatching(/syntax error|missing/)]));
  });

  it('an unpinned module and missing required modules', () => {
    expect(problems).toEqual(
      expect.arrayContaining([
        'module site: br/public:avm/res/web/site:latest is not pinned to an exact x.y.z version',
        'module sql: br/public:avm/res/sql/server:0.20 is not pinned to an exact x.y.z version',
        'no module uses br/public:avm/res/managed-identity/user-assigned-identity',
        'no module uses br/public:avm/res/insights/component',
        'no module uses br/public:avm/res/operational-insights/workspace',
      ]),
    );
  });

  it('the wrong scope, no alerts module, a non-function app on the wrong runtime, a consumption plan, shared keys, SQL logins', () => {
    expect(problems).toEqual(
      expect.arrayContaining([
        'targetScope is resourceGroup, expected subscription (azd creates the resource group)',
        'the alerts module (monitoring/alerts.bicep) is not deployed',
        'web/site: kind is not a function app',
        "web/site: functionAppConfig.runtime is not node '22'",
        'web/site: no user-assigned identity',
        'web/site: keyVaultAccessIdentityResourceId (keyVaultReferenceIdentity) is not set',
        'web/site: the app settings in appSettings are not passed to configs',
        'web/serverfarm: skuName is not FC1 (Flex Consumption)',
        'storage-account: allowSharedKeyAccess is not false',
        'sql/server: administrators.azureADOnlyAuthentication is not true (Entra-only)',
      ]),
    );
  });

  it('missing role assignments and outputs', () => {
    expect(problems).toEqual(
      expect.arrayContaining([
        'storage-account: the app identity is not Storage Blob Data Owner',
        'storage-account: the app identity is not Storage Queue Data Contributor',
        'insights/component: the app identity is not Monitoring Metrics Publisher',
        'output AZURE_SQL_SERVER_FQDN is missing',
      ]),
    );
  });

  it('a secret-looking parameter without @secure()', () => {
    expect(unsecuredSecretParams(model)).toEqual(['sqlPassword']);
    expect(unsecuredSecretParams(readBicep('@secure()\nparam sqlPassword string\nparam oltpSecretUri string\n'))).toEqual([]);
  });
});
