import { withDatabase } from '../helpers/engines.js';

describe('SQL Server test databases', () => {
  it('points a connection string at another database, in both formats', () => {
    expect(withDatabase('Server=tcp:db,1433;Database=master;User Id=sa;Password=x;Encrypt=true', 't_1')).toBe(
      'Server=tcp:db,1433;User Id=sa;Password=x;Encrypt=true;Database=t_1',
    );
    expect(withDatabase('Server=db;User Id=sa;Password=x;', 't_2')).toBe('Server=db;User Id=sa;Password=x;Database=t_2');
    expect(withDatabase('mssql://sa:x@db:1433/master?encrypt=true', 't_3')).toBe('mssql://sa:x@db:1433/t_3?encrypt=true');
  });
});
