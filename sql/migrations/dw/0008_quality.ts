// Data quality (issue 10):
//   - etl.quality_result: every check the pipeline or `npm run dw:check` ran, appended and never
//     updated or deleted by the app (the history dbt-style tests lack). result_id is a UUID made by
//     the app, not an IDENTITY, so a row written inside a load's transaction needs no round trip.
//     run_id is null for `npm run dw:check`; samples is a JSON array of up to 20 failing keys.
//   - etl.certified: one row per pipeline: the newest run whose checks all passed, and the source
//     time up to which the warehouse is complete and checked (the lowest watermark when it
//     passed). The KPI views read it to say "dados certificados até ...". It never moves on a
//     run with a blocking failure, so it only ever names checked data.
import type { Kysely } from 'kysely';
import { ddl } from '../ddl.js';

export async function up(db: Kysely<any>): Promise<void> {
  const t = ddl(db);
  const s = db.schema.withSchema('etl');
  await s
    .createTable('quality_result')
    .addColumn('result_id', t.text(36), (c) => c.primaryKey())
    .addColumn('run_id', t.text(40))
    .addColumn('phase', t.text(20), (c) => c.notNull())
    .addColumn('check_name', t.text(80), (c) => c.notNull())
    .addColumn('severity', t.text(20), (c) => c.notNull())
    .addColumn('status', t.text(20), (c) => c.notNull())
    .addColumn('failing', 'bigint', (c) => c.notNull())
    .addColumn('observed', t.longText, (c) => c.notNull())
    .addColumn('expected', t.longText, (c) => c.notNull())
    .addColumn('samples', t.longText, (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('checked_at', t.ts, (c) => c.notNull())
    .execute();
  await s.createIndex('ix_quality_result_checked_at').on('quality_result').columns(['checked_at', 'check_name']).execute();
  await s.createIndex('ix_quality_result_run').on('quality_result').column('run_id').execute();

  await s
    .createTable('certified')
    .addColumn('name', t.text(40), (c) => c.primaryKey())
    .addColumn('run_id', t.text(40))
    .addColumn('certified_to', t.ts)
    .addColumn('certified_at', t.ts)
    .execute();
  await db.withSchema('etl').insertInto('certified').values({ name: 'pipeline', run_id: null, certified_to: null, certified_at: null }).execute();
}
