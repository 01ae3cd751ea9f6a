// Keeps the daily re-key of discount facts proportional to its batch (issue 9): filtered indexes
// of the discount facts still on an unknown member (key -1), like migration 0007's for the sales,
// so the re-key finds them without joining the whole discount table to the sales.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  for (const key of ['data_pedido_key', 'cliente_key', 'produto_key', 'vendedor_key', 'campanha_key'])
    await db.schema
      .withSchema('dw')
      .createIndex(`ix_fact_descontos_${key.replace(/_key$/, '')}_unknown`)
      .on('fact_descontos')
      .column('item_id')
      .where(sql.ref(key), '=', sql.lit(-1))
      .execute();
}
