// The engine seam for SQL text: the few fragments Kysely does not make portable between
// PostgreSQL and T-SQL. Like Kysely's own adapter capabilities, each helper asks the Kysely
// instance (or transaction) which adapter compiles it, so the same call works on a live
// database, inside a transaction and on the offline T-SQL compiler. No file outside shared/db/
// looks at the engine's name.
import { describeError } from './transient.js';
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
 * The month of a date or timestamp as 'YYYY-MM' text (sessions run in UTC, so a timestamp's UTC
 * month): to_char on PostgreSQL, style 126 (ISO 8601) cut to 7 characters on SQL Server.
 */
export function monthOf(db: Kysely<any>, date: Expression<unknown>): RawBuilder<string> {
  return isMssql(db) ? sql<string>`convert(char(7), ${date}, 126)` : sql<string>`to_char(${date}, 'YYYY-MM')`;
}

/**
 * A UTC instant as a parameter the column type takes without a time-zone shift: ISO with Z for
 * PostgreSQL's timestamptz, ISO without zone for SQL Server's datetime2 (which has no zone).
 */
export function instantParam(db: Kysely<any>, instant: Date): string {
  const text = instant.toISOString();
  return isMssql(db) ? text.slice(0, -1) : text;
}

/**
 * The source's open transactions as the extract's upper-bound cap needs them (DESIGN §4.1,
 * extract-window.ts cappedExtractWindow): the start of the oldest transaction still open in this
 * database, by any session but this one, and the source clock when it looked. One row:
 * observed_at, oldest (null: none open), hidden (sessions whose transaction this login cannot see).
 *
 * PostgreSQL: pg_stat_activity of the current database, client backends other than this one.
 * xact_start, not backend_xmin: backend_xmin is a transaction-id horizon, not a time, and a READ
 * COMMITTED session idle in transaction has none between statements although it can still write
 * rows stamped with its start (now()). So every open transaction counts, idle in transaction
 * included (it can still commit), read-only ones too (nothing says they will stay read-only); an
 * aborted one cannot commit and is left out. Another user's xact_start is visible only to members
 * of pg_read_all_stats (or of that user's role): such sessions (whose backend_type is hidden too,
 * hence `or backend_type is null`) are counted as hidden.
 *
 * SQL Server: sys.dm_tran_active_transactions joined to the sessions of this database (and any
 * transaction already touching it), other than @@spid; begin times are local server time, shifted
 * to UTC. Needs VIEW SERVER STATE (VIEW SERVER PERFORMANCE STATE on SQL Server 2022+) or, on
 * Azure SQL Database, VIEW DATABASE STATE; without it the query fails (Msg 297/300), which
 * readOpenTransactions reports as unavailable.
 */
export function openTransactionsQuery(db: Kysely<any>): RawBuilder<unknown> {
  const source = isMssql(db)
    ? sql`(select sysutcdatetime() as observed_at,
        (select min(dateadd(millisecond, datediff_big(millisecond, sysdatetime(), sysutcdatetime()), t.transaction_begin_time))
           from sys.dm_tran_active_transactions t
           join sys.dm_tran_session_transactions st on st.transaction_id = t.transaction_id
           left join sys.dm_exec_sessions s on s.session_id = st.session_id
          where st.session_id <> @@spid
            and (s.database_id = db_id()
                 or exists (select 1 from sys.dm_tran_database_transactions d where d.transaction_id = t.transaction_id and d.database_id = db_id()))) as oldest,
        0 as hidden)`
    : sql`(select clock_timestamp() as observed_at,
        min(a.xact_start) filter (where a.state is distinct from 'idle in transaction (aborted)') as oldest,
        count(*) filter (where not (pg_has_role('pg_read_all_stats', 'USAGE') or pg_has_role(a.usesysid, 'USAGE'))) as hidden
        from pg_stat_activity a
       where a.datname = current_database() and a.pid <> pg_backend_pid() and (a.backend_type = 'client backend' or a.backend_type is null))`;
  return sql`select * from ${source} as open_transactions`;
}

export type OpenTransactionsRead = { status: 'visible'; oldestStart: Date | null; observedAt: Date } | { status: 'unavailable'; reason: string };

/** Permission denied: PostgreSQL SQLSTATE 42501; SQL Server 297/300 (VIEW ... STATE denied), 262 (permission denied in database). */
const PERMISSION_DENIED = new Set(['42501', '297', '300', '262']);

/**
 * Reads the source's open transactions (see openTransactionsQuery). A login that may not see
 * other sessions gives 'unavailable' with the reason, never an error: the extract falls back to
 * the overlap and says so. Any other error is thrown (transient ones for the step's retry; a bug
 * must not switch the cap off quietly).
 */
export async function readOpenTransactions(db: Kysely<any>): Promise<OpenTransactionsRead> {
  let row: { observed_at: Date | string; oldest: Date | string | null; hidden: number | string } | undefined;
  try {
    row = (await openTransactionsQuery(db).execute(db)).rows[0] as typeof row;
  } catch (e) {
    const code = describeError(e).code;
    if (code === undefined || !PERMISSION_DENIED.has(code)) throw e;
    return { status: 'unavailable', reason: `the source login cannot read its open transactions: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!row) throw new Error('the source returned no open-transaction row');
  const hidden = Number(row.hidden);
  if (hidden > 0) {
    return {
      status: 'unavailable',
      reason: `the source login cannot see the transactions of ${hidden} other session(s) (PostgreSQL: grant pg_read_all_stats)`,
    };
  }
  return { status: 'visible', oldestStart: row.oldest === null ? null : new Date(row.oldest), observedAt: new Date(row.observed_at) };
}

/** A foreign key as the warehouse migrations created it (PostgreSQL names it <table>_<column>_fkey). */
export interface ForeignKey {
  name: string;
  column: string;
  /** schema-qualified, e.g. 'dw.dim_data' */
  references: string;
  referencedColumn: string;
}

/**
 * Stops a table's foreign keys from being checked row by row, inside the caller's transaction,
 * until validateForeignKeys checks every row in one pass. PostgreSQL drops them (DDL is
 * transactional: a rollback brings them back); SQL Server disables them (NOCHECK CONSTRAINT ALL,
 * also rolled back with the transaction; its constraint names are generated, hence ALL).
 */
export async function suspendForeignKeys(trx: Kysely<any>, table: string, keys: readonly ForeignKey[]): Promise<void> {
  if (isMssql(trx)) await sql`alter table ${sql.table(table)} nocheck constraint all`.execute(trx);
  else for (const k of keys) await trx.schema.alterTable(table).dropConstraint(k.name).execute();
}

/**
 * Checks every row of a table against the foreign keys suspendForeignKeys stopped, in one pass
 * per key, and puts them back as they were (trusted, on SQL Server). A row pointing to no
 * dimension member fails the statement, so the caller's transaction rolls back.
 */
export async function validateForeignKeys(trx: Kysely<any>, table: string, keys: readonly ForeignKey[]): Promise<void> {
  if (isMssql(trx)) await sql`alter table ${sql.table(table)} with check check constraint all`.execute(trx);
  else for (const k of keys) await trx.schema.alterTable(table).addForeignKeyConstraint(k.name, [k.column], k.references, [k.referencedColumn]).execute();
}

/**
 * Fresh planner statistics for a table just emptied and refilled (staging, the sales load's work
 * tables); valid inside a transaction. Without them the planner guesses from the last full load's
 * statistics or from defaults: a daily batch of two products was planned as hundreds of rows,
 * turning key lookups into scans of a whole fact table. PostgreSQL and PGlite: ANALYZE. SQL
 * Server: UPDATE STATISTICS (its automatic update waits for a share of the rows to change, which
 * a small batch after a TRUNCATE may not reach; inside a transaction it commits on its own).
 */
export async function analyzeTable(db: Kysely<any>, table: string): Promise<void> {
  await sql`${sql.raw(isMssql(db) ? 'update statistics' : 'analyze')} ${sql.table(table)}`.execute(db);
}

/**
 * After a bulk load, outside any transaction: VACUUM (ANALYZE) the tables on PostgreSQL, so the
 * planner sees their new rows and index-only scans find the visibility map set, without waiting
 * for autovacuum. SQL Server keeps no visibility map and refreshes statistics itself: nothing to do.
 */
export async function vacuumAnalyze(db: Kysely<any>, tables: readonly string[]): Promise<void> {
  if (isMssql(db) || tables.length === 0) return;
  await sql`vacuum (analyze) ${sql.join(tables.map((t) => sql.table(t)))}`.execute(db);
}
