// Azure SQL with Microsoft Entra ID: a connection string with Authentication=Active Directory
// Managed Identity / Default opens with tedious's Entra authentication and no password, in both
// the mssql pool and Kysely's tedious connections. Offline only: no SQL Server (nor Entra) can be
// reached here, so what is checked is the configuration each driver receives, validated by
// tedious's own Connection constructor (which connects only on connect()).
import mssql from 'mssql';
import * as tedious from 'tedious';
import { ConnectionStringError, mssqlAuthentication, parseConnectionString } from '../../shared/db/connection-string.js';
import { mssqlConfig, tediousConfig } from '../../shared/db/mssql.js';
import { loadSettings, SettingsError } from '../../shared/config/settings.js';

const CLIENT_ID = '6c4f1b2e-8d3a-4f0b-9e1d-2a7c5b9e0f13';
const SERVER = 'Server=tcp:vendas-dw.database.windows.net,1433;Database=dw;Encrypt=true';

/** What tedious receives from the mssql pool for a config (the pool's own translation, run without connecting). */
const poolTediousConfig = (config: mssql.config) => (new mssql.ConnectionPool(config) as unknown as { _config(): tedious.ConnectionConfiguration })._config();

describe('Entra authentication for Azure SQL', () => {
  it.each([
    ['Active Directory Managed Identity', `;User Id=${CLIENT_ID}`, { type: 'azure-active-directory-msi-app-service', options: { clientId: CLIENT_ID } }],
    ['Active Directory Managed Identity', '', { type: 'azure-active-directory-msi-app-service', options: {} }],
    ['ActiveDirectoryMSI', '', { type: 'azure-active-directory-msi-app-service', options: {} }],
    ['Active Directory Default', '', { type: 'azure-active-directory-default', options: {} }],
    ['active directory default', `;UID=${CLIENT_ID}`, { type: 'azure-active-directory-default', options: { clientId: CLIENT_ID } }],
  ])('Authentication=%s%s: Entra sign-in, no user name or password, in the pool and in Kysely', (authentication, user, expected) => {
    const config = mssqlConfig(`${SERVER};Authentication=${authentication}${user}`);
    expect(config).toMatchObject({ server: 'vendas-dw.database.windows.net', port: 1433, database: 'dw', authentication: expected });
    expect(config.user).toBeUndefined();
    expect(config.password).toBeUndefined();

    // the mssql pool hands tedious exactly this authentication
    const fromPool = poolTediousConfig({ ...config, options: { ...config.options, useUTC: true } });
    expect(fromPool.authentication).toEqual(expected);
    // Kysely's connections: the same, and tedious's own validation accepts it
    const kysely = tediousConfig(config, { encrypt: true, trustServerCertificate: false });
    expect(kysely.authentication).toEqual(expected);
    expect(kysely.options).toMatchObject({ database: 'dw', port: 1433, encrypt: true });
    expect(() => new tedious.Connection(kysely)).not.toThrow();
    expect(JSON.stringify([config, fromPool, kysely])).not.toMatch(/password|userName/i);
  });

  it('a SQL login keeps the default (user name and password) authentication', () => {
    const config = mssqlConfig(`${SERVER};User Id=etl;Password=s3cret`);
    expect(config.authentication).toBeUndefined();
    expect(tediousConfig(config, { encrypt: true, trustServerCertificate: false }).authentication).toEqual({
      type: 'default',
      options: { userName: 'etl', password: 's3cret' },
    });
    expect(mssqlAuthentication(`${SERVER};Authentication=Sql Password;User Id=etl;Password=s3cret`)).toEqual({ kind: 'sql' });
  });

  it.each([
    [`${SERVER};Authentication=Active Directory Password;User Id=a@b.c;Password=hunter2`, /unsupported Authentication=/],
    [`${SERVER};Authentication=Active Directory Managed Identity;Password=hunter2`, /Password= with Entra authentication/],
    [`${SERVER};Authentication=Active Directory Default;User Id=hunter2`, /User Id= is the client id \(a GUID\)/],
  ])('refuses %s when the setting is read, naming what is wrong and never the value', (value, expected) => {
    expect(() => parseConnectionString(value)).toThrow(ConnectionStringError);
    expect(() => parseConnectionString(value)).toThrow(expected);
    let error: unknown;
    try {
      loadSettings({ DW_CONNECTION_STRING: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toMatch(/^ {2}- DW_CONNECTION_STRING: SQL Server connection string/m);
    expect((error as Error).message).not.toContain('hunter2');
  });
});
