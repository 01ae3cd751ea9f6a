// The one data-access seam: every engine (pglite, postgres, mssql) is opened through
// openDatabase() and used through this interface. Queries go through Kysely, which compiles
// the same builder calls to PostgreSQL or T-SQL; bulk loads use each engine's native path
// (COPY for PostgreSQL and PGlite, the bulk-copy API for SQL Server).
import type { Kysely } from 'kysely';
import type { Engine } from './connection-string.js';

/** Column kinds the bulk paths know how to encode. Timestamps are UTC with millisecond precision. */
export type ColumnKind = 'bigint' | 'int' | 'text' | 'decimal' | 'timestamp' | 'date' | 'bool';

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  /** max length for text columns (SQL Server bulk needs it); decimal is always (19,4) unless set */
  readonly length?: number;
  readonly precision?: number;
  readonly scale?: number;
  readonly nullable?: boolean;
}

export interface TableSpec {
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
}

/**
 * A row for bulk insert, positional in the order of TableSpec.columns.
 * decimals are strings ("12.34"), timestamps ISO-8601 strings with Z or Date, dates 'YYYY-MM-DD'.
 */
export type BulkValue = string | number | bigint | boolean | Date | null;
export type BulkRow = readonly BulkValue[];

/**
 * An open database. DB is its typed Kysely schema (OltpTables or WarehouseTables from
 * ./schema/index.js) where the role is known, as getOltpDatabase() / getWarehouseDatabase()
 * return it. The `any` default keeps untyped callers compiling (the test engines, the recording
 * database that stands for both schemas, migrations, and code outside shared/ and scripts/ that
 * still names tables by plain strings) until they move to the typed schema.
 */
export interface Database<DB = any> {
  readonly engine: Engine;
  /** engine and location for logs; never contains credentials */
  readonly description: string;
  readonly db: Kysely<DB>;
  /** Streams rows into a table with the engine's bulk path, in batches; returns the row count. */
  bulkInsert(table: TableSpec, rows: AsyncIterable<BulkRow> | Iterable<BulkRow>, options?: { batchSize?: number }): Promise<number>;
  /** PostgreSQL engines (pglite, postgres): the byte paths, see CopyChannel. Absent on SQL Server. */
  readonly copy?: CopyChannel;
  close(): Promise<void>;
}

/**
 * PostgreSQL's byte paths (DESIGN §10 "move bytes, not objects"): COPY out of one snapshot and
 * COPY into a table, in the COPY text format. The statements sent here are PostgreSQL-only and
 * never reach SQL Server, so they do not go through Kysely (and have no golden T-SQL); like
 * every statement, they take their values as bound parameters only.
 */
export interface CopyChannel {
  /** Runs `fn` in one REPEATABLE READ, READ ONLY transaction on one session: every statement of `fn` sees one snapshot. */
  snapshot<T>(fn: (session: SnapshotSession) => Promise<T>): Promise<T>;
  /** A PostgreSQL-only statement outside any transaction of the caller's (bound parameters only). */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** COPY ... FROM of COPY text bytes (whole, or as they arrive) into `columns` of a table; returns the row count. */
  copyIn(table: { schema: string; name: string }, columns: readonly string[], data: Buffer | AsyncIterable<Buffer>): Promise<number>;
}

export interface SnapshotSession {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** The COPY text bytes of `COPY (<select>) TO ...` in this snapshot, as they arrive. */
  copyOut(select: string): AsyncIterable<Buffer>;
}

/** Groups a (possibly async) row stream into arrays of at most `size` rows. */
export async function* batches<T>(rows: AsyncIterable<T> | Iterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
