import { loadSettings, SETTING_NAMES, SettingsError } from '../../shared/config/settings.js';
import { IDENTITY_STORAGE_SETTINGS } from '../../shared/storage/storage-account.js';

describe('settings', () => {
  it('defaults to embedded PGlite databases and the local storage emulator', () => {
    const s = loadSettings({});
    expect(s.OLTP_CONNECTION_STRING).toEqual({ engine: 'pglite', dataDir: '.data/local' });
    expect(s.DW_CONNECTION_STRING).toEqual({ engine: 'pglite', dataDir: '.data/local' });
    expect(s.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
    expect(s.APPLICATIONINSIGHTS_CONNECTION_STRING).toBeUndefined();
  });

  it('picks the engine from the connection string', () => {
    const s = loadSettings({
      OLTP_CONNECTION_STRING: 'postgres://etl:pw@db.example.net:5432/loja',
      DW_CONNECTION_STRING: 'Server=tcp:dw.database.windows.net,1433;Database=dw;User Id=etl;Password=pw;Encrypt=true',
    });
    expect(s.OLTP_CONNECTION_STRING.engine).toBe('postgres');
    expect(s.DW_CONNECTION_STRING.engine).toBe('mssql');
    expect(loadSettings({ DW_CONNECTION_STRING: 'pglite:memory' }).DW_CONNECTION_STRING).toEqual({ engine: 'pglite', dataDir: null });
  });

  it.each([
    ['OLTP_CONNECTION_STRING', 'mysql://root:hunter2@x/db', /OLTP_CONNECTION_STRING: has an unknown format; expected 'pglite:<folder>'/],
    ['OLTP_CONNECTION_STRING', 'postgres://u:hunter2@host', /OLTP_CONNECTION_STRING: postgres URL has no database name/],
    ['DW_CONNECTION_STRING', 'Server=tcp:x,1433;User Id=u;Password=hunter2', /DW_CONNECTION_STRING: SQL Server connection string has no Database=/],
    ['DW_CONNECTION_STRING', 'pglite:', /DW_CONNECTION_STRING: 'pglite:' needs a folder/],
    ['AzureWebJobsStorage', 'hunter2', /AzureWebJobsStorage: expected 'UseDevelopmentStorage=true' or an Azure Storage connection string/],
    [
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'InstrumentationKey=hunter2',
      /APPLICATIONINSIGHTS_CONNECTION_STRING: expected an Application Insights connection string/,
    ],
  ])('rejects a malformed %s with a message naming it and never its value', (name, value, message) => {
    let error: unknown;
    try {
      loadSettings({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('lists every bad setting at once', () => {
    expect(() => loadSettings({ OLTP_CONNECTION_STRING: 'x', DW_CONNECTION_STRING: 'y' })).toThrow(/OLTP_CONNECTION_STRING[\s\S]*DW_CONNECTION_STRING/);
  });
});

describe('BACKFILL_MIN_DATE', () => {
  it('defaults to 2000-01-01 and reads an ISO date as 00:00 UTC', () => {
    expect(loadSettings({}).BACKFILL_MIN_DATE).toEqual(new Date('2000-01-01T00:00:00Z'));
    expect(loadSettings({ BACKFILL_MIN_DATE: ' 2024-02-29 ' }).BACKFILL_MIN_DATE).toEqual(new Date('2024-02-29T00:00:00Z'));
  });

  it.each(['2023-02-29', '2026-13-01', '01/01/2000', '2000-01-01T00:00:00Z', 'yesterday', '+02000-01-01'])(
    'refuses %j naming the setting and the format',
    (value) => {
      expect(() => loadSettings({ BACKFILL_MIN_DATE: value })).toThrow(/BACKFILL_MIN_DATE: expected a date as YYYY-MM-DD/);
    },
  );
});

describe('local.settings.example.json', () => {
  it('lists every setting the app reads but the Azure-only identity-based storage ones, and nothing else but the worker runtime', async () => {
    const { readFileSync } = await import('node:fs');
    const example = JSON.parse(readFileSync('local.settings.example.json', 'utf8')) as { Values: Record<string, string> };
    const names = Object.keys(example.Values).filter((n) => n !== 'FUNCTIONS_WORKER_RUNTIME');
    // set together with AzureWebJobsStorage they are refused (the host would ignore them), so they
    // cannot sit in a local example: docs/azure-settings.md documents them instead
    const identity: readonly string[] = IDENTITY_STORAGE_SETTINGS;
    expect(names.sort()).toEqual(SETTING_NAMES.filter((n) => !identity.includes(n)).sort());
    const documented = readFileSync('docs/azure-settings.md', 'utf8');
    for (const name of identity) expect(documented).toContain(`\`${name}\``);
    // and each value in it is valid as written
    expect(() => loadSettings(example.Values)).not.toThrow();
  });
});
