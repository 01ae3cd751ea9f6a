// The queries of the control totals and reconciliation checks compile to T-SQL that SQL Server
// accepts (no PostgreSQL-only syntax), through the offline compiler the golden statements use.
import { offlineKysely } from '../../shared/db/offline-compile.js';
import { CONTROL_TOTALS_DIMENSIONS, CONTROL_TOTALS_FACTS } from '../../shared/quality/control-totals.js';
import { RECONCILE_DISCOUNTS, RECONCILE_SALES, RECONCILE_TARGETS } from '../../shared/quality/reconciliation.js';

const CHECKS = [CONTROL_TOTALS_DIMENSIONS, CONTROL_TOTALS_FACTS, RECONCILE_SALES, RECONCILE_DISCOUNTS, RECONCILE_TARGETS];

const compiled = (dialect: 'mssql' | 'postgres') => {
  const db = offlineKysely(dialect, []);
  return Object.fromEntries(CHECKS.map((c) => [`${c.name} (${c.phase})`, c.queries!(db, db).map((q) => q.compile().sql)]));
};

describe('control totals and reconciliation SQL', () => {
  const tsql = compiled('mssql');

  it.each(Object.entries(tsql))('%s compiles to T-SQL without PostgreSQL-only syntax', (_name, statements) => {
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s).not.toMatch(/::|\blimit\b|date_trunc|filter \(where|to_char|\bilike\b|\btrue\b|\bfalse\b/i);
      // money leaves the database as exact text, never as a float the driver converted
      if (/\bsum\(/.test(s)) expect(s).toMatch(/cast\(sum\("[a-z_.]+"(\."[a-z_]+")?\) as varchar\(40\)\)/);
    }
  });

  /** The first statement of a check that contains `text`. */
  const statement = (check: string, text: string, dialect = tsql) => dialect[check]!.find((s) => s.includes(text))!;

  it('groups the source by the UTC month of the order (T-SQL: ISO style 126; PostgreSQL: to_char of the month) and the warehouse by the calendar', () => {
    const source = statement('reconcile_sales (warehouse)', 'from "oltp"."itens_pedido" as "i" inner join "oltp"."pedidos"');
    expect(source).toMatch(/^select "g"."month" as "month", "g"."discounted", "g"."n"/);
    expect(source).toContain('(select convert(char(7), "o"."data_pedido", 126) as "month"');
    // the sales and the discounts share one read: by month, and by whether the item has a discount fact
    expect(source).toMatch(
      /group by case when \("i"."campanha_id" is not null or "i"."valor_desconto" > 0\) then 1 else 0 end, convert\(char\(7\), "o"."data_pedido", 126\)\) as "g"$/,
    );
    // PostgreSQL groups by the UTC month's first instant (migration oltp/0002 keeps statistics on these expressions) and formats only the groups
    const postgres = statement('reconcile_sales (warehouse)', 'inner join "oltp"."pedidos"', compiled('postgres'));
    expect(postgres).toMatch(/^select to_char\("g"."month", 'YYYY-MM'\) as "month"/);
    expect(postgres).toContain(
      `group by case when ("i"."campanha_id" is not null or "i"."valor_desconto" > 0) then 1 else 0 end, date_trunc('month', "o"."data_pedido" at time zone 'UTC')) as "g"`,
    );
    expect(statement('reconcile_sales (warehouse)', 'from "dw"."fact_vendas"')).toMatch(/group by "d"."ano_mes"$/);
    expect(statement('reconcile_targets (warehouse)', 'from "oltp"."metas" as "m"')).toContain('convert(char(7), "m"."mes", 126)');
  });

  it('compares booleans as bit and keeps the cutoff and ids as parameters', () => {
    expect(statement('reconcile_sales (warehouse)', '"f"."item_id" in')).toMatch(/where "f"."removido" = cast\(0 as bit\) and "f"."item_id" in \(@1\)/);
    expect(statement('reconcile_sales (warehouse)', 'inner join "oltp"."pedidos"')).toMatch(/"i"."updated_at" <= @1 and "o"."updated_at" <= @2/);
    expect(statement('control_totals (facts)', '"stg"."pagamentos"')).toBe(
      'select count(*) as "n", cast(sum("valor") as varchar(40)) as "s0" from "stg"."pagamentos"',
    );
  });
});
