// The fact tables' foreign keys, and the bulk check of large loads (issue 9): checking 1.5 million
// keys one row at a time took ~8 s of a scale-10 full load. Above BULK_FK_MIN_ROWS staged rows a
// step suspends its fact tables' foreign keys, writes, and validates every row in one pass per key
// before it commits, in the same transaction: a fact pointing to no member fails the load, and the
// rollback leaves facts, watermarks and constraints as they were. Below it (daily runs, whose few
// rows would not repay a pass over the whole table) the database checks each row as usual.
// Measured on PostgreSQL 15 at scale 10 (busy machine, medians of 3): the sales step of a full load
// took 62.4 s with per-row checks and 17.6 s in bulk; the validation pass itself 2.6 s for 321k
// facts, i.e. ~0.15 ms per fact checked one by one: the two break even near 17k facts, hence the
// default of 20,000 staged rows. While a bulk load runs, readers of its fact tables wait for its
// commit (the constraints are altered inside its transaction).
import type { Transaction } from 'kysely';
import { suspendForeignKeys, validateForeignKeys, type ForeignKey } from '../../db/portable-sql.js';
import type { WarehouseTables } from '../../db/schema/index.js';

export type FactTable = 'dw.fact_vendas' | 'dw.fact_descontos' | 'dw.fact_metas';

const key = (table: FactTable, column: string, dimension: string, referencedColumn: string): ForeignKey => ({
  name: `${table.slice('dw.'.length)}_${column}_fkey`,
  column,
  references: `dw.${dimension}`,
  referencedColumn,
});
const member = (table: FactTable, dim: 'cliente' | 'produto' | 'vendedor' | 'campanha') => key(table, `${dim}_key`, `dim_${dim}`, `${dim}_key`);

/** Exactly the foreign keys migration 0004 created (tests/integration/facts-bulk-keys.test.ts compares them with the database's). */
export const FACT_FOREIGN_KEYS: Record<FactTable, readonly ForeignKey[]> = {
  'dw.fact_vendas': [
    key('dw.fact_vendas', 'data_pedido_key', 'dim_data', 'data_key'),
    key('dw.fact_vendas', 'data_entrega_key', 'dim_data', 'data_key'),
    member('dw.fact_vendas', 'cliente'),
    member('dw.fact_vendas', 'produto'),
    member('dw.fact_vendas', 'vendedor'),
    member('dw.fact_vendas', 'campanha'),
  ],
  'dw.fact_descontos': [
    key('dw.fact_descontos', 'data_pedido_key', 'dim_data', 'data_key'),
    member('dw.fact_descontos', 'cliente'),
    member('dw.fact_descontos', 'produto'),
    member('dw.fact_descontos', 'vendedor'),
    member('dw.fact_descontos', 'campanha'),
  ],
  'dw.fact_metas': [member('dw.fact_metas', 'vendedor'), key('dw.fact_metas', 'mes_key', 'dim_data', 'data_key')],
};

/** A bulk-loaded fact that points to no dimension member: the load is rolled back. */
export class ForeignKeyValidationError extends Error {
  /** the database's own code (SQLSTATE 23503, SQL Server 547), so retry logic sees a permanent error */
  readonly code: unknown;
  constructor(
    readonly table: FactTable,
    cause: unknown,
  ) {
    super(
      `${table}: a fact loaded in bulk points to a dimension member that does not exist; nothing of this load was committed (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
    this.name = 'ForeignKeyValidationError';
    this.code = (cause as { code?: unknown } | null)?.code;
  }
}

/**
 * Runs `load` with the foreign keys of `tables` suspended, then validates them in one pass each,
 * all inside `trx`.
 */
export async function withBulkForeignKeys<T>(trx: Transaction<WarehouseTables>, tables: readonly FactTable[], load: () => Promise<T>): Promise<T> {
  for (const table of tables) await suspendForeignKeys(trx, table, FACT_FOREIGN_KEYS[table]);
  const result = await load();
  for (const table of tables) {
    try {
      await validateForeignKeys(trx, table, FACT_FOREIGN_KEYS[table]);
    } catch (e) {
      throw new ForeignKeyValidationError(table, e);
    }
  }
  return result;
}
