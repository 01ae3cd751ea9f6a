// Column types that differ between PostgreSQL and SQL Server. Migrations are written once with
// Kysely's schema builder and these types; Kysely compiles them to each dialect.
import { MssqlAdapter, sql, type Kysely, type Expression, type SqlBool } from 'kysely';

export interface Ddl {
  readonly mssql: boolean;
  /** UTC instant, millisecond precision (mssql bulk/JS Date keep ms, see DESIGN §9) */
  readonly ts: Expression<unknown>;
  /** exact money: 19 digits, 4 decimals (holds BRL cents and Superstore's 4-decimal amounts) */
  readonly money: Expression<unknown>;
  /** a fraction such as a discount rate 0.2500 */
  readonly rate: Expression<unknown>;
  readonly bool: Expression<unknown>;
  readonly now: Expression<unknown>;
  readonly true: Expression<unknown>;
  readonly false: Expression<unknown>;
  /** unicode text of at most n characters */
  text(n: number): Expression<unknown>;
  /** unbounded unicode text (raw rows, error details, JSON reports) */
  readonly longText: Expression<unknown>;
  /** a boolean condition "column is true", for filtered/partial indexes */
  isTrue(column: string): Expression<SqlBool>;
}

export function ddl(db: Kysely<any>): Ddl {
  const mssql = db.getExecutor().adapter instanceof MssqlAdapter;
  return {
    mssql,
    ts: mssql ? sql`datetime2(3)` : sql`timestamptz(3)`,
    money: sql`decimal(19, 4)`,
    rate: sql`decimal(7, 4)`,
    bool: mssql ? sql`bit` : sql`boolean`,
    now: mssql ? sql`sysutcdatetime()` : sql`now()`,
    true: mssql ? sql`1` : sql`true`,
    false: mssql ? sql`0` : sql`false`,
    text: (n) => sql.raw(mssql ? `nvarchar(${n})` : `varchar(${n})`),
    longText: mssql ? sql`nvarchar(max)` : sql`text`,
    isTrue: (column) => (mssql ? sql<SqlBool>`${sql.ref(column)} = 1` : sql<SqlBool>`${sql.ref(column)}`),
  };
}
