// Keeps the quality gate of a daily run proportional to its batch (issue 10): the fact checks of a
// load look at the rows the run wrote (run_id, also stamped by the re-key), found by these indexes
// instead of a scan of the fact table. Every row of a load carries the same run id, which
// PostgreSQL's B-tree deduplication (13+) stores compactly.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  for (const fact of ['fact_vendas', 'fact_descontos']) await db.schema.withSchema('dw').createIndex(`ix_${fact}_run`).on(fact).column('run_id').execute();
}
