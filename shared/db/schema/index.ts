// The typed Kysely schema of our two databases: `Kysely<OltpTables>` for the source,
// `Kysely<WarehouseTables>` for the warehouse (dw, etl, ods, stg). A renamed or mistyped table
// or column is then a type error. oltp.ts and warehouse.ts are generated from the migrations
// (see generate.ts). Migrations themselves keep Kysely<any>: the schema changes while they run.
import type { Kysely, Transaction } from 'kysely';
import type { DatabaseRole } from '../../../sql/migrations/index.js';
import type { OltpTables } from './oltp.js';
import type { WarehouseTables } from './warehouse.js';

export type * from './column-types.js';
export type * from './oltp.js';
export type * from './warehouse.js';

/** The schema of the database a role names. */
export type SchemaOf<R extends DatabaseRole> = { oltp: OltpTables; dw: WarehouseTables }[R];

/** The tables of one SQL schema, e.g. TablesIn<WarehouseTables, 'stg'> = 'stg.categorias' | 'stg.clientes' | ... */
export type TablesIn<DB, S extends string> = Extract<keyof DB, `${S}.${string}`>;

/** Table names within one SQL schema, without it: NamesIn<WarehouseTables, 'stg'> = 'categorias' | 'clientes' | ... */
export type NamesIn<DB, S extends string> = TablesIn<DB, S> extends infer T ? (T extends `${S}.${infer N}` ? N : never) : never;

/** The columns every one of the tables T has (keyof a union is what its members share). */
export type SharedColumns<DB, T extends keyof DB> = Pick<DB[T], keyof DB[T]>;

/** Tables T, each seen with only the columns all of them share. */
export type SharedTables<DB, T extends keyof DB> = { [K in T]: SharedColumns<DB, T> };

/**
 * For queries on a table chosen at run time, such as `stg.${entity}`: the same Kysely, seen as
 * the tables of one SQL schema (or only the `names` given) each with only the columns all of
 * them share. The runtime name is then checked against the schema, and so is every column the
 * generic code uses:
 *   const stg = tablesOf(dw.db, 'stg');
 *   await stg.deleteFrom(`stg.${def.name}`).where('_seq', '>', 10).execute();
 *   const coded = tablesOf(oltp.db, 'oltp', ['clientes', 'produtos']); // both have `codigo`
 * Only types change, so it works on a transaction too: every table of the group really has these columns.
 */
export function tablesOf<DB, S extends string, N extends NamesIn<DB, S> = NamesIn<DB, S>>(
  // a Transaction is listed so that DB is inferred from it (structural inference from Kysely<DB> fails)
  db: Kysely<DB> | Transaction<DB>,
  _schema: S,
  _names?: readonly N[],
): Kysely<SharedTables<DB, Extract<keyof DB, `${S}.${N}`>>> {
  return db as unknown as Kysely<SharedTables<DB, Extract<keyof DB, `${S}.${N}`>>>;
}
