// Keeps the quality checks of a daily run proportional to what it changed (issue 10):
// - the dimension gates' SCD2 integrity and the target gate's grain uniqueness find the members
//   and targets a run wrote by run_id (as migration 0010 did for the sales and discount facts)
//   instead of scanning dim_cliente, dim_produto and fact_metas;
// - unknown_member_share reads only the targets still on the unknown member (-1), like the sales
//   and discount facts (migrations 0004 and 0009), instead of scanning fact_metas.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema.withSchema('dw');
  for (const table of ['dim_cliente', 'dim_produto', 'fact_metas']) await s.createIndex(`ix_${table}_run`).on(table).column('run_id').execute();
  for (const key of ['vendedor_key', 'mes_key'])
    await s
      .createIndex(`ix_fact_metas_${key.replace(/_key$/, '')}_unknown`)
      .on('fact_metas')
      .column('meta_id')
      .where(sql.ref(key), '=', sql.lit(-1))
      .execute();
}
