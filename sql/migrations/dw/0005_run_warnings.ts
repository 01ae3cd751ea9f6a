// What a run's extract says about late commits, kept in the warehouse so it outlives the logs and
// reaches the runs API and the pipeline report (issue 8):
//   - etl.run.warnings: the run's warnings as a JSON array of strings (the late-commit cap
//     unavailable, a window held back longer than EXTRACT_OPEN_TRANSACTION_WARN_MINUTES, late rows
//     seen below the previous window's end); written by the extract, so a run that fails later
//     keeps them (etl.run.report is only written when the run ends);
//   - per batch, how the open-transaction cap shaped its window (cap_status, oldest_open_transaction,
//     held_back_ms) and the counts of the late-row check (extract-window.ts lateRowsAtLeast):
//     overlap_rows (rows read at or below the watermark), tail_rows (rows read in the last overlap
//     of the window: the next run compares its overlap_rows with this) and late_rows (at least that
//     many rows committed below the previous window's end; null when there was nothing to compare).
// Batches recorded before this migration have nulls: the next run has nothing to compare with.
import type { Kysely } from 'kysely';
import { ddl } from '../ddl.js';

export async function up(db: Kysely<any>): Promise<void> {
  const t = ddl(db);
  const s = db.schema.withSchema('etl');
  await s.alterTable('run').addColumn('warnings', t.longText).execute();
  // one column per statement: SQL Server's ALTER TABLE ADD takes a list, PostgreSQL's repeats ADD COLUMN
  for (const [name, type] of [
    ['cap_status', t.text(20)],
    ['oldest_open_transaction', t.ts],
    ['held_back_ms', 'bigint'],
    ['overlap_rows', 'bigint'],
    ['tail_rows', 'bigint'],
    ['late_rows', 'bigint'],
  ] as const)
    await s.alterTable('batch').addColumn(name, type).execute();
}
