// A PostgreSQL backend terminated under the pipeline (pg_terminate_backend on our own database:
// what a server restart or failover does to each session) never kills the process: a client held
// by a transaction between two statements, idle in the pool, or mid-statement loses its
// connection, the statement fails with an error classified transient, and the next query opens a
// new connection and works.
import { sql } from 'kysely';
import { openPostgres } from '../../shared/db/postgres.js';
import { describeError } from '../../shared/db/transient.js';
import { testEngines } from '../helpers/engines.js';

const postgresEngine = testEngines().find((e) => e.name === 'postgres');

(postgresEngine ? describe : describe.skip)('PostgreSQL backends terminated (TEST_POSTGRES_URL)', () => {
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => void uncaught.push(e);
  beforeAll(() => process.on('uncaughtException', onUncaught));
  afterAll(() => void process.off('uncaughtException', onUncaught));

  const terminateOthers = (admin: Awaited<ReturnType<typeof openPostgres>>) =>
    sql<{
      n: number;
    }>`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(
      admin.db,
    );

  it('a transaction idle between statements, idle pooled clients and a running statement: transient errors, no crash, the pool recovers', async () => {
    const fresh = await postgresEngine!.fresh();
    if (fresh.target.engine !== 'postgres') throw new Error('expected a postgres target');
    const db = await openPostgres(fresh.target.url, 'pipeline');
    const admin = await openPostgres(fresh.target.url, 'admin');
    try {
      // 1. a transaction holds its client between two statements while its backend is terminated
      const inTransaction = db.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await terminateOthers(admin);
        await new Promise((done) => setTimeout(done, 300)); // the client sees the socket close while checked out
        await sql`select 1`.execute(trx);
      });
      const e1 = await inTransaction.then(
        () => null,
        (e: unknown) => e,
      );
      expect(e1).not.toBeNull();
      expect(describeError(e1).transient).toBe(true);

      // 2. idle pooled clients terminated; then a running statement terminated
      await Promise.all([1, 2, 3].map(() => sql`select 1`.execute(db.db)));
      expect((await terminateOthers(admin)).rows[0]!.n).toBeGreaterThan(0);
      await new Promise((done) => setTimeout(done, 300));
      const running = sql`select pg_sleep(5)`.execute(db.db).then(
        () => null,
        (e: unknown) => e,
      );
      await new Promise((done) => setTimeout(done, 300));
      await terminateOthers(admin);
      const e2 = await running;
      expect(describeError(e2)).toMatchObject({ transient: true, source: 'postgres' });

      // the pool drops the broken clients once their sockets close, and opens new ones: work goes on
      await new Promise((done) => setTimeout(done, 300));
      expect((await sql<{ n: number }>`select 41 + 1 as n`.execute(db.db)).rows[0]!.n).toBe(42);
      expect(uncaught).toEqual([]);
    } finally {
      await db.close();
      await admin.close();
      await fresh.close();
    }
  }, 30_000);
});
