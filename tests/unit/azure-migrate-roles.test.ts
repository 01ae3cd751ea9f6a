// npm run db:migrate: which databases it migrates, locally and as Azure's deploy step.
import { rolesToMigrate } from '../../scripts/migrate.js';
import { UsageError } from '../../scripts/cli.js';

describe('db:migrate roles', () => {
  it('locally: both, or the one named with --only', () => {
    expect(rolesToMigrate(undefined, false)).toEqual(['oltp', 'dw']);
    expect(rolesToMigrate('oltp', false)).toEqual(['oltp']);
    expect(rolesToMigrate('dw', false)).toEqual(['dw']);
  });

  it('in Azure: the warehouse only; the OLTP (the company database) is refused', () => {
    expect(rolesToMigrate(undefined, true)).toEqual(['dw']);
    expect(rolesToMigrate('dw', true)).toEqual(['dw']);
    expect(() => rolesToMigrate('oltp', true)).toThrow(UsageError);
    expect(() => rolesToMigrate('oltp', true)).toThrow(/migrates only the warehouse: the OLTP source is the company database/);
  });

  it('refuses an unknown role', () => {
    expect(() => rolesToMigrate('warehouse', false)).toThrow(/--only must be oltp or dw/);
  });
});
