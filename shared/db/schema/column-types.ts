// How each SQL column type looks in TypeScript: the values the drivers return here (see
// shared/db/pg-types.ts) on select, and what our code may pass on insert and update.
// The generated table interfaces (oltp.ts, warehouse.ts) use only these and plain types:
//   bigint, integer -> number     (ids and counts stay below 2^53; the parser fails loudly above)
//   decimal         -> Decimal    (exact decimal string, never a binary float: see shared/model/money.ts)
//   date            -> DateOnly   ('YYYY-MM-DD', no local-time Date)
//   timestamptz(3)  -> Timestamp  (a Date instant; written as a Date or an ISO-8601 string)
//   varchar, text   -> string,  boolean -> boolean
// SQL Server differs on reads (tedious returns decimals as numbers and bigint as strings): code
// that reads those columns from SQL Server converts them, as the extract does (see README).
import type { ColumnType } from 'kysely';

/** decimal(p, s): an exact decimal string such as '12.3400'. */
export type Decimal = string;

/** date: 'YYYY-MM-DD'. */
export type DateOnly = string;

/** timestamptz(3) / datetime2(3): a UTC instant. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** A timestamp with a database default (now()): may be left out on insert. */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
