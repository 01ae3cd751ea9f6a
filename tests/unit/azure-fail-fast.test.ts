// In Azure (WEBSITE_SITE_NAME set) a setting left to its local default stops the app at start,
// naming the setting and never its value; locally the same settings stay zero-setup.
import { runningInAzure } from '../../shared/config/azure.js';
import { loadSettings, SettingsError } from '../../shared/config/settings.js';

const AZURE = { WEBSITE_SITE_NAME: 'vendas-analytics-prod' };
const GOOD = {
  OLTP_CONNECTION_STRING: 'postgres://reader:hunter2@oltp.example.net:5432/loja',
  DW_CONNECTION_STRING: 'Server=tcp:dw-hunter2.database.windows.net,1433;Database=dw;Authentication=Active Directory Managed Identity',
  AzureWebJobsStorage__accountName: 'vendasraw',
  AzureWebJobsStorage__credential: 'managedidentity',
};

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    loadSettings(env);
  } catch (e) {
    expect(e).toBeInstanceOf(SettingsError);
    return (e as Error).message;
  }
  throw new Error('loadSettings accepted the settings');
}

describe('runningInAzure', () => {
  it('is WEBSITE_SITE_NAME set and not blank', () => {
    expect(runningInAzure({ WEBSITE_SITE_NAME: 'app' })).toBe(true);
    expect(runningInAzure({ WEBSITE_SITE_NAME: '  ' })).toBe(false);
    expect(runningInAzure({})).toBe(false);
  });
});

describe('settings in Azure', () => {
  it('accepts a complete production configuration and says it runs in Azure', () => {
    const s = loadSettings({ ...AZURE, ...GOOD });
    expect(s.inAzure).toBe(true);
    expect(s.DW_CONNECTION_STRING.engine).toBe('mssql');
    expect(s.storage).toEqual({
      kind: 'identity',
      blobUrl: 'https://vendasraw.blob.core.windows.net',
      queueUrl: 'https://vendasraw.queue.core.windows.net',
      credential: 'managed-identity',
    });
    // a storage connection string is accepted too (an account with shared keys)
    const withKey = { ...GOOD, AzureWebJobsStorage__accountName: '', AzureWebJobsStorage__credential: '' };
    expect(loadSettings({ ...AZURE, ...withKey, AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k' }).storage.kind).toBe(
      'connection-string',
    );
  });

  it('names every missing setting at once when nothing is configured', () => {
    const message = problemsOf(AZURE);
    expect(message).toMatch(/OLTP_CONNECTION_STRING: is required when running in Azure/);
    expect(message).toMatch(/DW_CONNECTION_STRING: is required when running in Azure/);
    expect(message).toMatch(/AzureWebJobsStorage: is required when running in Azure/);
  });

  it.each([
    ['OLTP_CONNECTION_STRING', undefined, /OLTP_CONNECTION_STRING: is required when running in Azure/],
    ['OLTP_CONNECTION_STRING', '  ', /OLTP_CONNECTION_STRING: is required when running in Azure/],
    ['DW_CONNECTION_STRING', '', /DW_CONNECTION_STRING: is required when running in Azure/],
    ['OLTP_CONNECTION_STRING', 'pglite:.data/hunter2', /OLTP_CONNECTION_STRING: names an embedded PGlite database, which cannot run in Azure/],
    ['DW_CONNECTION_STRING', 'PGLITE:memory', /DW_CONNECTION_STRING: names an embedded PGlite database/],
  ])('refuses %s = %j naming it, never its value', (name, value, expected) => {
    const message = problemsOf({ ...AZURE, ...GOOD, [name]: value });
    expect(message).toMatch(expected);
    expect(message.split('\n')).toHaveLength(2); // the heading and this one problem
    expect(message).not.toContain('hunter2');
  });

  it('refuses the storage emulator and missing storage, unless the identity-based settings name an account', () => {
    const noStorage = { ...GOOD, AzureWebJobsStorage__accountName: undefined, AzureWebJobsStorage__credential: undefined };
    expect(problemsOf({ ...AZURE, ...noStorage })).toMatch(/AzureWebJobsStorage: is required when running in Azure/);
    const emulator = problemsOf({ ...AZURE, ...noStorage, AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    expect(emulator).toMatch(/AzureWebJobsStorage: names the local storage emulator, which does not exist in Azure/);
    expect(emulator).not.toContain('UseDevelopmentStorage=true');
    expect(loadSettings({ ...AZURE, ...GOOD }).storage.kind).toBe('identity');
  });

  it('reports a malformed setting once, not also as an Azure problem', () => {
    const message = problemsOf({ ...AZURE, ...GOOD, DW_CONNECTION_STRING: 'pglite:' });
    expect(message.match(/DW_CONNECTION_STRING/g)).toHaveLength(1);
  });
});

describe('settings outside Azure', () => {
  it('keep the zero-setup defaults', () => {
    const s = loadSettings({});
    expect(s.inAzure).toBe(false);
    expect(s.DW_CONNECTION_STRING).toEqual({ engine: 'pglite', dataDir: '.data/local' });
    expect(s.storage).toEqual({ kind: 'connection-string', connectionString: 'UseDevelopmentStorage=true', development: true });
  });
});
