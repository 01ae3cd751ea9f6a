// Control tables of the pipeline (schema etl): watermarks, the run lease, run audit, extracted
// batches and quarantined rows. The warehouse is the single place that remembers what was
// loaded, so a watermark can move in the same transaction as the data it describes.
import type { Kysely } from 'kysely';
import { ddl } from '../ddl.js';

export async function up(db: Kysely<any>): Promise<void> {
  const t = ddl(db);
  const s = db.schema.withSchema('etl');
  await db.schema.createSchema('etl').execute();

  // Per source entity: the upper bound of the last window whose load committed.
  await s
    .createTable('watermark')
    .addColumn('entity', t.text(40), (c) => c.primaryKey())
    .addColumn('high_water', t.ts, (c) => c.notNull())
    .addColumn('run_id', t.text(40), (c) => c.notNull())
    .addColumn('updated_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .execute();

  // One row per pipeline: who holds it and until when. Taken with a conditional UPDATE, which is
  // atomic on every engine; a crashed holder's lease simply expires.
  await s
    .createTable('lease')
    .addColumn('name', t.text(40), (c) => c.primaryKey())
    .addColumn('holder', t.text(40))
    .addColumn('expires_at', t.ts)
    .addColumn('acquired_at', t.ts)
    .execute();
  await db.withSchema('etl').insertInto('lease').values({ name: 'pipeline', holder: null, expires_at: null, acquired_at: null }).execute();

  await s
    .createTable('run')
    .addColumn('run_id', t.text(40), (c) => c.primaryKey())
    .addColumn('kind', t.text(20), (c) => c.notNull())
    .addColumn('status', t.text(20), (c) => c.notNull())
    .addColumn('started_at', t.ts, (c) => c.notNull())
    .addColumn('finished_at', t.ts)
    // requested window of a backfill; null for the daily run (its windows are per entity, in run_step)
    .addColumn('window_from', t.ts)
    .addColumn('window_to', t.ts)
    .addColumn('requested_by', t.text(200))
    .addColumn('error', t.longText)
    .addColumn('report', t.longText)
    .execute();
  await s.createIndex('ix_run_started_at').on('run').column('started_at').execute();

  await s
    .createTable('run_step')
    .addColumn('run_id', t.text(40), (c) => c.notNull().references('run.run_id'))
    .addColumn('step', t.text(20), (c) => c.notNull())
    .addColumn('entity', t.text(40), (c) => c.notNull())
    .addColumn('status', t.text(20), (c) => c.notNull())
    .addColumn('started_at', t.ts, (c) => c.notNull())
    .addColumn('finished_at', t.ts)
    .addColumn('window_from', t.ts)
    .addColumn('window_to', t.ts)
    .addColumn('rows_read', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_loaded', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_rejected', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_inserted', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_updated', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_unchanged', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('error', t.longText)
    .addPrimaryKeyConstraint('pk_run_step', ['run_id', 'step', 'entity'])
    .execute();

  // What an extract wrote to Blob storage, as recorded in its manifest.
  await s
    .createTable('batch')
    .addColumn('run_id', t.text(40), (c) => c.notNull().references('run.run_id'))
    .addColumn('entity', t.text(40), (c) => c.notNull())
    .addColumn('manifest_path', t.text(400), (c) => c.notNull())
    .addColumn('manifest_sha256', t.text(64), (c) => c.notNull())
    .addColumn('row_count', 'bigint', (c) => c.notNull())
    .addColumn('part_count', 'integer', (c) => c.notNull())
    .addColumn('window_from', t.ts)
    .addColumn('window_to', t.ts, (c) => c.notNull())
    .addColumn('created_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint('pk_batch', ['run_id', 'entity'])
    .execute();

  // Rows that failed their contract: kept with the reason, never silently dropped.
  await s
    .createTable('rejected_row')
    .addColumn('run_id', t.text(40), (c) => c.notNull())
    .addColumn('entity', t.text(40), (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('business_key', t.text(200))
    .addColumn('reason', t.text(1000), (c) => c.notNull())
    .addColumn('raw_row', t.longText, (c) => c.notNull())
    .addColumn('created_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint('pk_rejected_row', ['run_id', 'entity', 'seq'])
    .execute();
}
