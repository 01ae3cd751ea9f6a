// SQL Server cannot run here. sql/generated/statements/*.mssql.sql hold the exact T-SQL of every
// statement a daily run and a backfill send (written by `npm run sql:emit` from the real pipeline
// code, see scripts/emit-sql.ts). These tests keep the files current and check every statement for
// what SQL Server rejects or silently changes (the warehouse in production is Azure SQL).
import { readdirSync, readFileSync } from 'node:fs';
import type { InsertQueryNode } from 'kysely';
import { recordStatements, renderStatements } from '../../scripts/emit-sql.js';
import type { RecordedStatement } from '../../shared/db/recording-database.js';
import { boundType, GOLDEN_DIR } from '../../shared/db/statement-golden.js';

let files: Record<string, string>;
let statements: RecordedStatement[];
/** the compiled statements (bulk copies have no SQL text) */
let compiled: (RecordedStatement & { compiled: NonNullable<RecordedStatement['compiled']> })[];

beforeAll(async () => {
  const recorded = await recordStatements();
  files = renderStatements(recorded);
  statements = Object.values(recorded).flat();
  compiled = statements.filter((s): s is (typeof compiled)[number] => s.compiled !== undefined);
});

/** The statements failing a check, shown with their caller so a failure says where to look. */
const offenders = (check: (s: (typeof compiled)[number]) => boolean) => compiled.filter((s) => !check(s)).map((s) => `${s.caller}: ${s.sql.slice(0, 300)}`);

/** The SELECTs nested in parentheses (subqueries, derived tables), with their own nested groups removed. */
function subqueries(sql: string): string[] {
  const out: string[] = [];
  for (let start = sql.indexOf('(select '); start >= 0; start = sql.indexOf('(select ', start + 1)) {
    let depth = 0;
    let end = start;
    for (; end < sql.length; end++) {
      if (sql[end] === '(') depth++;
      if (sql[end] === ')' && --depth === 0) break;
    }
    let inner = sql.slice(start + 1, end);
    while (/\([^()]*\)/.test(inner)) inner = inner.replace(/\([^()]*\)/g, '');
    out.push(inner);
  }
  return out;
}

describe('golden T-SQL statements', () => {
  it('match the committed sql/generated/statements files (run `npm run sql:emit` after changing a query)', () => {
    const committed = readdirSync(GOLDEN_DIR).map((f) => `${GOLDEN_DIR}/${f}`);
    expect(committed.sort()).toEqual(Object.keys(files).sort());
    for (const [path, text] of Object.entries(files)) expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('cover both branches of result-dependent code: lease held, watermark new and advanced, run step new, next extract page, re-keyed counts', () => {
    const all = statements.map((s) => s.sql).join('\n');
    expect(all).toContain('select "holder", "expires_at" from "etl"."lease"');
    expect(all).toContain('insert into "etl"."watermark" ("entity", "high_water", "run_id", "updated_at")');
    expect(all).toMatch(/update "etl"."watermark" set "high_water" = @1/);
    expect(all).toMatch(/insert into "etl"."run_step" \("run_id", "step", "entity", "status"/);
    expect(all).toMatch(/from "oltp"."clientes" where .* and "id" > @3 order by "id"/);
    expect(all).toMatch(/update "etl"."run_step" set "rows_rekeyed" = @1/);
    expect(all).toMatch(/insert into "etl"."rejected_row"/);
    expect(all).toMatch(/-- bulk copy into \[stg\].\[clientes\] \(_seq bigint, id bigint, codigo text/);
    // the merges as SQL Server runs them
    expect(all).toMatch(/update "dw"."dim_cliente" set .* from \(select .* from "stg"."clientes"\) as "s" where "s"."id" = "dim_cliente"."cliente_id"/);
    expect(all).toContain('cast(1 as bit) as "is_current"');
    expect(all).toMatch(/insert into "dw"."fact_vendas" \("item_id", "pedido_id"/);
    expect(all).toMatch(/row_number\(\) over \(order by "s"."id"\)/);
  });

  it('use no PostgreSQL-only syntax: boolean literals, LIMIT, ::, RETURNING, ON CONFLICT, ILIKE, $n placeholders', () => {
    expect(offenders((s) => !/\b(true|false)\b(?!")|\blimit\b|::|\breturning\b|\bon conflict\b|\bilike\b/i.test(s.sql))).toEqual([]);
    expect(offenders((s) => !/\$\d/.test(s.sql))).toEqual([]);
  });

  it('stay within SQL Server limits: 2,100 parameters per statement, 1,000 rows per VALUES list, 128-character identifiers', () => {
    expect(offenders((s) => s.parameters.length <= 2100)).toEqual([]);
    const valuesRows = (s: (typeof compiled)[number]) =>
      ((s.compiled.query as InsertQueryNode).values as { values?: unknown[] } | undefined)?.values?.length ?? 0;
    expect(offenders((s) => valuesRows(s) <= 1000)).toEqual([]);
    expect(offenders((s) => [...s.sql.matchAll(/"([^"]*)"/g)].every((m) => m[1]!.length <= 128))).toEqual([]);
    // the largest statement is the calendar insert: 150 days x 11 columns
    expect(Math.max(...compiled.map((s) => s.parameters.length))).toBeGreaterThan(1000);
  });

  it('send timestamps SQL Server stores exactly: Dates bound as datetime2 (not the legacy 1/300 s datetime), text timestamps at millisecond precision', () => {
    const dates = compiled.flatMap((s) => s.parameters.filter((p): p is Date => p instanceof Date).map((d) => ({ s, d })));
    expect(dates.length).toBeGreaterThan(0);
    expect([...new Set(dates.map(({ d }) => boundType(d)))]).toEqual(['datetime2']);
    expect(dates.filter(({ d }) => Number.isNaN(d.getTime())).map(({ s, d }) => `${s.caller}: ${String(d)}`)).toEqual([]);
    const textTimestamps = compiled.flatMap((s) => s.parameters.filter((p): p is string => typeof p === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(p)));
    expect(textTimestamps.filter((t) => !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z?$/.test(t))).toEqual([]);
  });

  it('never send a number as float (money is exact: decimals travel as text)', () => {
    expect(offenders((s) => s.parameters.every((p) => boundType(p) !== 'float'))).toEqual([]);
  });

  it('end every MERGE with a semicolon and order no subquery without TOP (SQL Server rejects both)', () => {
    expect(offenders((s) => !/^\s*merge\b/i.test(s.sql) || s.sql.trimEnd().endsWith(';'))).toEqual([]);
    expect(offenders((s) => subqueries(s.sql).every((q) => !/\border by\b/i.test(q) || /^select top\b/i.test(q)))).toEqual([]);
  });
});
