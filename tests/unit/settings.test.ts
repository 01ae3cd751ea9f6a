import { loadSettings, SettingsError } from '../../shared/config/settings.js';

describe('settings', () => {
  it('defaults to embedded PGlite databases and the local storage emulator', () => {
    const s = loadSettings({});
    expect(s.OLTP_CONNECTION_STRING).toEqual({ engine: 'pglite', dataDir: '.data/oltp' });
    expect(s.DW_CONNECTION_STRING).toEqual({ engine: 'pglite', dataDir: '.data/dw' });
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
