// The few SQL fragments Kysely does not make portable between PostgreSQL and T-SQL.
import { MssqlAdapter, sql, type Kysely, type RawBuilder } from 'kysely';

export const isMssql = (db: Kysely<any>) => db.getExecutor().adapter instanceof MssqlAdapter;

/** A boolean constant: T-SQL has no TRUE/FALSE literals (Kysely would emit them as-is). */
export function boolLit(db: Kysely<any>, value: boolean): RawBuilder<boolean> {
  return isMssql(db) ? sql<boolean>`cast(${sql.lit(value ? 1 : 0)} as bit)` : sql<boolean>`${sql.lit(value)}`;
}
