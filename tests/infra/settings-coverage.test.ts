// Every setting the app reads (SETTING_NAMES, shared/config/settings.ts) is either set by the Azure
// deployment (an app setting in infra/main.bicep) or has a safe default documented in
// local.settings.example.json and the README's Settings table, so a deployment never runs on a
// value nobody chose. And no secret is ever a plain app setting: a setting named like a secret
// (connection string, webhook, password, key, secret, token) is a Key Vault reference or an
// identity-based connection without a password. APPLICATIONINSIGHTS_CONNECTION_STRING is the one
// exception, by Microsoft's guidance (it names where telemetry goes and is not a credential; with
// local authentication disabled it authorises nothing): it must come from the Application
// Insights component's output, never be typed in. Each rule also runs on broken input to show it
// fails.
import { readdirSync } from 'node:fs';
import { SETTING_NAMES } from '../../shared/config/settings.js';
import { freeBicepParser, loadBicepParser, modulePath, readBicep, type AppSetting, type BicepModel } from './deploy-bicep-model.js';
import { mainTemplate, readText, repoFile } from './infra-files.js';

const SECRET_NAME = /CONNECTION_STRING|WEBHOOK|PASSWORD|KEY|SECRET|TOKEN/i;
const TELEMETRY_CONNECTION = 'APPLICATIONINSIGHTS_CONNECTION_STRING';
const CREDENTIAL_IN_VALUE = /(AccountKey|SharedAccessKey|Password|Pwd|sig)\s*=/i;

/** Where the app's settings are documented with their defaults. */
interface SettingDocs {
  /** the keys of local.settings.example.json's Values */
  localExample: string[];
  /** setting name -> its default, from the README's Settings table */
  readmeDefaults: Record<string, string>;
}

function readSettingDocs(localExampleJson: string, readme: string): SettingDocs {
  const values = (JSON.parse(localExampleJson) as { Values?: Record<string, string> }).Values ?? {};
  const section = readme.split(/^## /m).find((part) => part.startsWith('Settings\n')) ?? '';
  const readmeDefaults: Record<string, string> = {};
  for (const match of section.matchAll(/^\|\s*`([^`]+)`\s*\|([^|]*)\|/gm)) readmeDefaults[match[1] ?? ''] = (match[2] ?? '').trim();
  return { localExample: Object.keys(values), readmeDefaults };
}

/** The app setting names main.bicep sets, and whether `name` is one (or its identity-based form name__*). */
const setInBicep = (settings: AppSetting[], name: string): boolean => settings.some((s) => s.name === name || s.name.startsWith(`${name}__`));

/** Settings neither set by the deployment nor documented with a default. */
function uncoveredSettings(names: readonly string[], settings: AppSetting[], docs: SettingDocs): string[] {
  const problems: string[] = [];
  for (const name of names) {
    if (setInBicep(settings, name)) continue;
    const inExample = docs.localExample.includes(name);
    const readmeDefault = docs.readmeDefaults[name];
    if (!inExample || readmeDefault === undefined || readmeDefault === '') {
      const missing = [
        !inExample && 'local.settings.example.json',
        (readmeDefault === undefined || readmeDefault === '') && "the README's Settings table (with a default)",
      ]
        .filter(Boolean)
        .join(' and ');
      problems.push(`${name}: not set in infra/main.bicep and not documented in ${missing}`);
    }
  }
  return problems;
}

/** App settings that carry, or could carry, a secret in plain text. */
function plainSecrets(model: BicepModel): string[] {
  const problems: string[] = [];
  const component = model.modules.find((module) => modulePath(module.source) === 'avm/res/insights/component')?.symbol;
  for (const setting of model.appSettings) {
    const { name, value } = setting;
    if (CREDENTIAL_IN_VALUE.test(value.text) && value.kind !== 'identity-connection' && value.kind !== 'key-vault-reference')
      problems.push(`${name}: its value holds a credential (${value.text.match(CREDENTIAL_IN_VALUE)?.[0]})`);
    else if (name === 'AzureWebJobsStorage' || name === 'APPINSIGHTS_INSTRUMENTATIONKEY')
      problems.push(
        `${name}: a key-based connection; use the identity-based settings (AzureWebJobsStorage__accountName, APPLICATIONINSIGHTS_AUTHENTICATION_STRING)`,
      );
    else if (name === TELEMETRY_CONNECTION) {
      if (value.kind !== 'module-output' || !component || !value.text.startsWith(`${component}.outputs.`))
        problems.push(`${name}: must be the Application Insights component's output, not ${value.kind} ${value.text}`);
    } else if (SECRET_NAME.test(name) && value.kind !== 'key-vault-reference' && value.kind !== 'identity-connection')
      problems.push(`${name}: a secret as ${value.kind} (${value.text}); use a Key Vault reference or an identity-based connection`);
  }
  // A Key Vault reference must point at a secret URI parameter, not embed a value.
  for (const setting of model.appSettings.filter((s) => s.value.kind === 'key-vault-reference')) {
    const params = setting.value.identifiers.filter((id) => model.params.some((param) => param.name === id));
    if (params.length === 0 || params.some((id) => !/SecretUri$/.test(id)))
      problems.push(`${setting.name}: a Key Vault reference should take its URI from a *SecretUri parameter (${setting.value.text})`);
  }
  return problems;
}

/** Settings the Functions host resolves itself: %NAME% binding expressions and trigger connections. */
function hostSettings(functionSources: string[]): string[] {
  const names = functionSources.flatMap((source) => [
    ...[...source.matchAll(/'%([A-Za-z_][A-Za-z0-9_]*)%'/g)].map((match) => match[1] ?? ''),
    ...[...source.matchAll(/connection:\s*'([^']+)'/g)].map((match) => match[1] ?? ''),
  ]);
  return [...new Set(names)].sort();
}

const functionSources = (): string[] =>
  readdirSync(repoFile('functions'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => readText(repoFile('functions', file)));

beforeAll(loadBicepParser);
afterAll(freeBicepParser);

describe('settings coverage: every setting the app reads is set by infra/main.bicep or has a documented safe default', () => {
  let model: BicepModel;
  let docs: SettingDocs;
  beforeAll(() => {
    model = readBicep(readText(mainTemplate));
    docs = readSettingDocs(readText(repoFile('local.settings.example.json')), readText(repoFile('README.md')));
  });

  it('reads the app settings of main.bicep and the settings the app reads', () => {
    expect(model.appSettings.length).toBeGreaterThan(5);
    expect(SETTING_NAMES).toEqual(expect.arrayContaining(['OLTP_CONNECTION_STRING', 'DW_CONNECTION_STRING', 'EXTRACT_SCHEDULE']));
  });

  it('covers every name in SETTING_NAMES', () => {
    expect(uncoveredSettings(SETTING_NAMES, model.appSettings, docs)).toEqual([]);
  });

  it('sets, in main.bicep, every setting the Functions host resolves itself (%NAME% in a trigger, a trigger connection)', () => {
    const host = hostSettings(functionSources());
    expect(host).toEqual(expect.arrayContaining(['EXTRACT_SCHEDULE', 'WATCHDOG_SCHEDULE', 'AzureWebJobsStorage']));
    expect(host.filter((name) => !setInBicep(model.appSettings, name))).toEqual([]);
  });

  it('sets no secret as a plain value: Key Vault references and identity-based connections only', () => {
    expect(plainSecrets(model)).toEqual([]);
    const byName = Object.fromEntries(model.appSettings.map((s) => [s.name, s.value.kind]));
    expect(byName).toMatchObject({
      OLTP_CONNECTION_STRING: 'key-vault-reference',
      DW_CONNECTION_STRING: 'identity-connection',
      ALERT_TEAMS_WEBHOOK_URL: 'key-vault-reference',
      APPLICATIONINSIGHTS_CONNECTION_STRING: 'module-output',
    });
  });

  it('sets the identity settings of the contract with the app: storage by identity, the identity by client id', () => {
    const names = model.appSettings.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'AzureWebJobsStorage__accountName',
        'AzureWebJobsStorage__credential',
        'AzureWebJobsStorage__clientId',
        'AZURE_CLIENT_ID',
        'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
      ]),
    );
    const dw = model.appSettings.find((s) => s.name === 'DW_CONNECTION_STRING')?.value.text ?? '';
    expect(dw).toMatch(/Authentication=Active Directory Managed Identity;User Id=\$\{appIdentity\.outputs\.clientId\}/);
    expect(dw).toMatch(/Encrypt=true/);
  });
});

describe('the settings rules report what is wrong (each check can fail)', () => {
  const broken = [
    "module ai 'br/public:avm/res/insights/component:0.6.0' = {",
    "  name: 'ai'",
    '  params: {}',
    '}',
    'param oltpConnectionString string',
    'param teamsWebhook string',
    'var appSettings = {',
    "  AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc=='",
    "  DW_CONNECTION_STRING: 'Server=tcp:x.database.windows.net,1433;Database=dw;User Id=app;Password=hunter2'",
    '  OLTP_CONNECTION_STRING: oltpConnectionString',
    "  APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000'",
    "  EXTRACT_SCHEDULE: '0 0 3 * * *'",
    '}',
    'var teamsAppSettings = empty(teamsWebhook) ? {} : {',
    '  ALERT_TEAMS_WEBHOOK_URL: teamsWebhook',
    "  OTHER_SECRET: '@Microsoft.KeyVault(SecretUri=${teamsWebhook})'",
    '}',
  ].join('\n');
  let model: BicepModel;
  beforeAll(() => {
    model = readBicep(broken);
  });

  it('a setting neither set nor documented, and one documented in only one place', () => {
    const docs = readSettingDocs(
      JSON.stringify({ Values: { IN_BOTH: '1', ONLY_IN_EXAMPLE: '2' } }),
      ['## Settings', '', '| setting | default | meaning |', '|---|---|---|', '| `IN_BOTH` | `1` | x |', '| `ONLY_IN_README` | `3` | y |', '', '## Next'].join(
        '\n',
      ),
    );
    expect(
      uncoveredSettings(['EXTRACT_SCHEDULE', 'AzureWebJobsStorage', 'IN_BOTH', 'ONLY_IN_EXAMPLE', 'ONLY_IN_README', 'NEW_SETTING'], model.appSettings, docs),
    ).toEqual([
      "ONLY_IN_EXAMPLE: not set in infra/main.bicep and not documented in the README's Settings table (with a default)",
      'ONLY_IN_README: not set in infra/main.bicep and not documented in local.settings.example.json',
      "NEW_SETTING: not set in infra/main.bicep and not documented in local.settings.example.json and the README's Settings table (with a default)",
    ]);
  });

  it('a trigger setting main.bicep does not set', () => {
    const host = hostSettings(["app.timer('x', { schedule: '%OTHER_SCHEDULE%' })", "app.storageQueue('y', { queueName: 'q', connection: 'OtherStorage' })"]);
    expect(host).toEqual(['OTHER_SCHEDULE', 'OtherStorage']);
    expect(host.filter((name) => !setInBicep(model.appSettings, name))).toEqual(['OTHER_SCHEDULE', 'OtherStorage']);
  });

  it('plain secrets: a storage key, a SQL password, a connection string parameter, a typed-in telemetry key, a webhook URL', () => {
    expect(plainSecrets(model)).toEqual([
      'AzureWebJobsStorage: its value holds a credential (AccountKey=)',
      'DW_CONNECTION_STRING: its value holds a credential (Password=)',
      'OLTP_CONNECTION_STRING: a secret as expression (oltpConnectionString); use a Key Vault reference or an identity-based connection',
      "APPLICATIONINSIGHTS_CONNECTION_STRING: must be the Application Insights component's output, not literal 'InstrumentationKey=00000000-0000-0000-0000-000000000000'",
      'ALERT_TEAMS_WEBHOOK_URL: a secret as expression (teamsWebhook); use a Key Vault reference or an identity-based connection',
      "OTHER_SECRET: a Key Vault reference should take its URI from a *SecretUri parameter ('@Microsoft.KeyVault(SecretUri=${teamsWebhook})')",
    ]);
  });
});
