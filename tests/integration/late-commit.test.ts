// Late commits (DESIGN §4.1, §10; issue 8 item 1), on a real PostgreSQL server: a source
// transaction stamps updated_at with now() (its own start) and commits only after the next extract
// ran, with an updated_at older than the overlap. Without the cap the row is never extracted:
// the run that ran while it was open could not see it, and the run after that starts past it.
// With the cap, the run that ran while it was open ends its window before the transaction's start,
// so the following run reads the row. PGlite has one connection and cannot hold a second
// transaction open, so this runs only where TEST_POSTGRES_URL is set.
import { sql, type ControlledTransaction } from 'kysely';
import pg from 'pg';
import type { OltpTables } from '../../shared/db/schema/index.js';
import { openDatabase } from '../../shared/db/open.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, testPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { expectReconciled, reconcile } from '../helpers/reconcile.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const server = testEngines().find((e) => e.name === 'postgres');
const describeOnServer = server ? describe : describe.skip;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeOnServer('late commits on a PostgreSQL server', () => {
  // overlap 0: the late row's updated_at (its transaction's start) is older than the overlap as
  // soon as the next run's window starts after it, without waiting minutes in a test
  const env = { EXTRACT_OVERLAP_MINUTES: '0', EXTRACT_SAFETY_LAG_SECONDS: '0' };

  async function insertCategoria(db: { insertInto: ControlledTransaction<OltpTables>['insertInto'] }, id: number) {
    await db
      .insertInto('oltp.categorias')
      .values({ id, codigo: `cat-${id}`, nome: `Categoria ${id}`, categoria_pai_id: null, created_at: sql`now()`, updated_at: sql`now()` })
      .execute();
  }

  it('extracts a row stamped at its transaction start and committed after the next extract ran', async () => {
    const p: TestPipeline = await testPipeline(server!, env);
    let late: ControlledTransaction<OltpTables> | undefined;
    try {
      const source = p.ctx.oltp.db;
      await insertCategoria(source as never, 1);
      await dailyRun(p);

      // a second session opens a transaction and stamps its row with now(), its start
      late = await source.startTransaction().execute();
      await insertCategoria(late as never, 2);
      const stamped = (await late.selectFrom('oltp.categorias').select('updated_at').where('id', '=', 2).executeTakeFirstOrThrow()).updated_at;
      await sleep(50);

      // the next run runs while it is open: it cannot see the row, and its window must end before it
      const during = await dailyRun(p);
      expect(during.rows.categorias).toBe(0);
      // it commits after that run, its updated_at older than the overlap (0) and the window's end
      await late.commit().execute();
      late = undefined;

      const after = await dailyRun(p);
      expect(after.rows.categorias).toBe(1);
      const loaded = await p.ctx.dw.db.selectFrom('dw.dim_categoria').select('categoria_id').where('categoria_id', '=', 2).execute();
      expect(loaded).toHaveLength(1);
      expectReconciled(await reconcile(p.ctx.oltp.db, p.ctx.dw.db), 'warehouse after the late commit');
      // because the run that ran while it was open ended its window before the transaction's start
      const step = await p.ctx.dw.db
        .selectFrom('etl.run_step')
        .select('window_to')
        .where('run_id', '=', during.runId)
        .where('step', '=', 'extract')
        .where('entity', '=', 'categorias')
        .executeTakeFirstOrThrow();
      expect(new Date(step.window_to as Date) < new Date(stamped as Date)).toBe(true);
    } finally {
      await late?.rollback().execute();
      await p.close();
    }
  });

  it('reports the cap held by an open transaction in the extract outcome', async () => {
    const p = await testPipeline(server!, env);
    let open: ControlledTransaction<OltpTables> | undefined;
    try {
      open = await p.ctx.oltp.db.startTransaction().execute();
      const started = (await sql<{ t: Date }>`select now() as t`.execute(open)).rows[0]!.t;
      await sleep(50);
      const outcome = await runExtract(p.ctx, { entities: ['categorias'] });
      if (outcome.status !== 'started') throw new Error('lease held');
      expect(outcome.caps.categorias).toMatchObject({ cap: 'open-transaction', oldestOpenTransaction: new Date(started).toISOString() });
      expect(outcome.warnings).toEqual([]);
    } finally {
      await open?.rollback().execute();
      await p.close();
    }
  });

  it('falls back to the overlap and warns when the source login cannot see other sessions', async () => {
    const p = await testPipeline(server!, env);
    const role = `late_reader_${Math.random().toString(16).slice(2, 10)}`;
    const url = new URL(process.env.TEST_POSTGRES_URL!);
    const current = (await sql<{ db: string }>`select current_database() as db`.execute(p.ctx.oltp.db)).rows[0]!.db;
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    let reader: Awaited<ReturnType<typeof openDatabase>> | undefined;
    let open: ControlledTransaction<OltpTables> | undefined;
    try {
      // a login without pg_read_all_stats: it sees the superuser's sessions without their transactions
      await admin.query(`create role ${role} login`);
      await p.ctx.oltp.db.transaction().execute(async (trx) => {
        await sql`grant usage on schema oltp to ${sql.id(role)}`.execute(trx);
        await sql`grant select on all tables in schema oltp to ${sql.id(role)}`.execute(trx);
      });
      const readerUrl = new URL(url.toString());
      readerUrl.username = role;
      readerUrl.pathname = `/${current}`;
      reader = await openDatabase({ engine: 'postgres', url: readerUrl.toString() });
      open = await p.ctx.oltp.db.startTransaction().execute();
      await sql`select 1`.execute(open);

      const outcome = await runExtract({ ...p.ctx, oltp: reader as never }, { entities: ['categorias'] });
      if (outcome.status !== 'started') throw new Error('lease held');
      expect(outcome.caps.categorias).toMatchObject({ cap: 'unavailable' });
      expect(outcome.warnings).toHaveLength(1);
      expect(outcome.warnings[0]).toMatch(/late-commit cap unavailable.*pg_read_all_stats/);
    } finally {
      await open?.rollback().execute();
      await reader?.close();
      await p.close();
      await admin.query(`drop role if exists ${role}`).catch(() => undefined);
      await admin.end();
    }
  });
});
