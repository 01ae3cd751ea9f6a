import { ConnectionStringError, describeTarget, parseConnectionString, parseMssqlUrl } from '../../shared/db/connection-string.js';
import { mssqlConfig } from '../../shared/db/mssql.js';

describe('describeTarget', () => {
  it('names engine and location but never credentials', () => {
    const cases = [
      'postgres://etl:s3cret@db.example.net:6432/loja',
      'Server=tcp:dw.database.windows.net,1433;Database=dw;User Id=etl;Password=s3cret;Encrypt=true',
      'mssql://etl:s3cret@sql.local:1433/dw',
    ];
    const described = cases.map((c) => describeTarget(parseConnectionString(c)));
    expect(described).toEqual(['postgres (db.example.net:6432/loja)', 'mssql (tcp:dw.database.windows.net,1433/dw)', 'mssql (sql.local/dw)']);
    for (const d of described) expect(d).not.toMatch(/s3cret|etl/);
  });
});

describe('the mssql:// URL form', () => {
  it('opens with server, port, database and decoded credentials (the mssql package alone reads no server from it)', () => {
    expect(mssqlConfig('mssql://etl:p%40ss%3Bw0rd@sql.local:1433/dw')).toEqual({
      server: 'sql.local',
      port: 1433,
      database: 'dw',
      user: 'etl',
      password: 'p@ss;w0rd',
      options: {},
    });
    expect(mssqlConfig('sqlserver://sa:x@127.0.0.1/loja?encrypt=false&trustServerCertificate=true')).toMatchObject({
      server: '127.0.0.1',
      port: 1433,
      database: 'loja',
      options: { encrypt: false, trustServerCertificate: true },
    });
    // the key=value form still goes through the mssql package's parser
    expect(mssqlConfig('Server=tcp:dw.example,1433;Database=dw;User Id=etl;Password=s3cret')).toMatchObject({
      server: 'dw.example',
      port: 1433,
      database: 'dw',
      user: 'etl',
    });
  });

  it('refuses a URL without a database, with an unknown option or a non-boolean value, when the setting is read', () => {
    for (const bad of ['mssql://etl:x@sql.local:1433/', 'mssql://etl:x@sql.local/dw?timeout=5', 'mssql://etl:x@sql.local/dw?encrypt=yes']) {
      expect(() => parseConnectionString(bad)).toThrow(ConnectionStringError);
      expect(() => parseMssqlUrl(bad)).toThrow(ConnectionStringError);
    }
  });
});
