// The engine seam for SQL text: the few fragments Kysely does not make portable between
// PostgreSQL and T-SQL. Like Kysely's own adapter capabilities, each helper asks the Kysely
// instance (or transaction) which adapter compiles it, so the same call works on a live
// database, inside a transaction and on the offline T-SQL compiler. No file outside shared/db/
// looks at the engine's name.
import { MssqlAdapter, sql, type Expression, type IsolationLevel, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';

export const isMssql = (db: Kysely<any>) => db.getExecutor().adapter instanceof MssqlAdapter;

/** A boolean constant: T-SQL has no TRUE/FALSE literals (Kysely would emit them as-is). */
export function boolLit(db: Kysely<any>, value: boolean): RawBuilder<boolean> {
  return isMssql(db) ? sql<boolean>`cast(${sql.lit(value ? 1 : 0)} as bit)` : sql<boolean>`${sql.lit(value)}`;
}

/**
 * The database's own UTC clock. Extract windows are measured against the source's clock, never
 * the function's (DESIGN §4.1). Sessions run in UTC (see the engines' open functions).
 */
export function nowUtc(db: Kysely<any>): RawBuilder<Date> {
  return isMssql(db) ? sql<Date>`sysutcdatetime()` : sql<Date>`now()`;
}

/** Reads the database clock as a Date. */
export async function readClock(db: Kysely<any>): Promise<Date> {
  const row = (await sql<{ now: Date | string }>`select ${nowUtc(db)} as now`.execute(db)).rows[0];
  if (!row) throw new Error('the database returned no clock');
  return new Date(row.now);
}

/** Keeps the first `n` rows of an ordered select: TOP on SQL Server, LIMIT elsewhere. */
export function firstRows<DB, TB extends keyof DB, O>(db: Kysely<any>, q: SelectQueryBuilder<DB, TB, O>, n: number): SelectQueryBuilder<DB, TB, O> {
  return isMssql(db) ? q.top(n) : q.limit(n);
}

/**
 * The isolation level that gives a multi-statement read one consistent snapshot: SNAPSHOT on SQL
 * Server (needs ALLOW_SNAPSHOT_ISOLATION ON), REPEATABLE READ on PostgreSQL (a snapshot there).
 */
export function snapshotIsolation(db: Kysely<any>): IsolationLevel {
  return isMssql(db) ? 'snapshot' : 'repeatable read';
}

/**
 * Selects a decimal column so it arrives exact: SQL Server's driver returns decimals as JS
 * numbers (binary floats), so it is read as text there; pg and PGlite already return strings.
 */
export function exactDecimal(db: Kysely<any>, column: string) {
  return isMssql(db) ? sql<string>`cast(${sql.ref(column)} as varchar(40))`.as(column) : sql.ref(column).as(column);
}

/** Day of the month (1-31) of a date expression: there is no portable function. */
export function dayOfMonth(db: Kysely<any>, date: Expression<unknown>): RawBuilder<number> {
  return isMssql(db) ? sql<number>`day(${date})` : sql<number>`extract(day from ${date})`;
}

/**
 * A UTC instant as a parameter the column type takes without a time-zone shift: ISO with Z for
 * PostgreSQL's timestamptz, ISO without zone for SQL Server's datetime2 (which has no zone).
 */
export function instantParam(db: Kysely<any>, instant: Date): string {
  const text = instant.toISOString();
  return isMssql(db) ? text.slice(0, -1) : text;
}
