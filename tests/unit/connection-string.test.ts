import { describeTarget, parseConnectionString } from '../../shared/db/connection-string.js';

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
