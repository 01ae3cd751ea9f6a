// The warehouse checks compile for SQL Server as they do for PostgreSQL: every check's queries,
// built on the offline T-SQL compiler, carry none of the PostgreSQL-only syntax SQL Server
// rejects. (Their results on real data: tests/integration/quality-warehouse-checks.test.ts.)
import type { CompiledQuery } from 'kysely';
import { offlineKysely } from '../../shared/db/offline-compile.js';
import { deviationPercent, median } from '../../shared/quality/daily-volume-check.js';
import { WAREHOUSE_CHECKS } from '../../shared/quality/warehouse-checks.js';

/** PostgreSQL-only syntax, each with what gives it away in compiled SQL. */
const POSTGRES_ONLY: readonly [string, RegExp][] = [
  ['cast with ::', /::/],
  ['LIMIT', /\blimit\b/i],
  ['OFFSET without FETCH', /\boffset\b(?!.*\bfetch\b)/i],
  ['FILTER (WHERE ...)', /\bfilter\s*\(\s*where\b/i],
  ['DISTINCT ON', /\bdistinct\s+on\b/i],
  ['IS DISTINCT FROM', /\bis\s+(not\s+)?distinct\s+from\b/i],
  ['boolean literal', /\b(true|false)\b/i],
  ['now()', /\bnow\(\)/i],
  ['|| concatenation', /\|\|/],
  ['ILIKE', /\bilike\b/i],
  ['$n placeholder', /\$\d/],
];

function compiled(dialect: 'mssql' | 'postgres') {
  const db = offlineKysely(dialect, [] as CompiledQuery[]);
  return WAREHOUSE_CHECKS.map((check) => ({ check, statements: (check.queries?.(db, db) ?? []).map((q) => q.compile().sql) }));
}

describe('warehouse checks', () => {
  it('have stable snake_case names, unique within a phase, and a description', () => {
    for (const c of WAREHOUSE_CHECKS) {
      expect(c.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(c.description.length).toBeGreaterThan(20);
    }
    const keys = WAREHOUSE_CHECKS.map((c) => `${c.phase}:${c.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    // a rule listed in two phases is the same rule: same severity and description
    for (const c of WAREHOUSE_CHECKS)
      for (const d of WAREHOUSE_CHECKS.filter((x) => x.name === c.name)) expect([d.severity, d.description]).toEqual([c.severity, c.description]);
  });

  it('give every check its queries, compiled for SQL Server without PostgreSQL-only syntax', () => {
    const offenders: string[] = [];
    for (const { check, statements } of compiled('mssql')) {
      expect({ check: check.name, statements: statements.length > 0 }).toEqual({ check: check.name, statements: true });
      for (const text of statements) for (const [what, pattern] of POSTGRES_ONLY) if (pattern.test(text)) offenders.push(`${check.name}: ${what}: ${text}`);
    }
    expect(offenders).toEqual([]);
  });

  it('keep the first rows with TOP on SQL Server and LIMIT on PostgreSQL', () => {
    const first = (dialect: 'mssql' | 'postgres') => compiled(dialect).find((c) => c.check.name === 'fact_vendas_grain_unique')!.statements[1]!;
    expect(first('mssql')).toMatch(/^select top\(20\)/);
    expect(first('postgres')).toMatch(/ limit \$\d+$/);
  });

  it('compile a run-phase check scoped to a run and over whole tables; a whole-warehouse check once', () => {
    const statements = (name: string, phase: string) => compiled('mssql').find((c) => c.check.name === name && c.check.phase === phase)!.statements;
    const grain = statements('fact_vendas_grain_unique', 'facts');
    expect(grain.map((s) => s.includes('run_id'))).toEqual([true, true, false, false]);
    expect(statements('dim_cliente_scd2_integrity', 'warehouse').map((s) => s.includes('run_id'))).toEqual([false, false]);
  });

  it('measure the volume against the median, and a zero median only against zero', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
    expect(deviationPercent(150, 100)).toBe(50);
    expect(deviationPercent(40, 100)).toBe(60);
    expect(deviationPercent(0, 0)).toBe(0);
    expect(deviationPercent(1, 0)).toBe(Infinity);
  });
});
