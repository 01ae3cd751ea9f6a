// Transient or permanent, decided on REAL errors produced by the real parts: pg against a closed
// port and against a PostgreSQL server (deadlock, serialization failure, lock timeout, terminated
// backend, unique violation), PGlite, Azurite (running and stopped), and tedious/mssql against a
// closed port. Only SQL Server's server-side errors (deadlock victim 1205, duplicate key 2627) are
// built by hand — no SQL Server runs here — with the drivers' own error classes, filled in the way
// tedious's token handler and mssql's request wrapper fill them.
import { createServer } from 'node:net';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { sql } from 'kysely';
import mssql from 'mssql';
import pg from 'pg';
import { ConnectionError, Connection, RequestError } from 'tedious';
import { startAzurite } from '../../dev/azurite.js';
import { openDatabase, DatabaseConnectError } from '../../shared/db/open.js';
import { describeError, isTransient } from '../../shared/db/transient.js';
import { RetriesExhaustedError, withRetry, type RetryInfo } from '../../shared/pipeline/retry.js';
import { testEngines } from '../helpers/engines.js';
import { freshStorage, stopStorage } from '../helpers/storage.js';

/** Resolves with what the promise rejected with; fails the test if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** A TCP port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** withRetry without real waiting, recording its retries. */
function fastRetry(attempts: number) {
  const retries: RetryInfo[] = [];
  return { retries, options: { attempts, baseDelayMs: 10, maxDelayMs: 100, sleep: async () => {}, onRetry: (i: RetryInfo) => void retries.push(i) } };
}

afterAll(async () => {
  await stopStorage();
});

describe('pg: server not reachable', () => {
  it('a connect to a closed port is transient (ECONNREFUSED under DatabaseConnectError), and retries end in RetriesExhaustedError', async () => {
    const url = `postgres://u@127.0.0.1:${await closedPort()}/x`;
    const error = await rejection(openDatabase({ engine: 'postgres', url }));
    expect(error).toBeInstanceOf(DatabaseConnectError);
    expect(describeError(error)).toEqual({ transient: true, code: 'ECONNREFUSED', source: 'network' });

    const r = fastRetry(3);
    const exhausted = await rejection(withRetry(() => openDatabase({ engine: 'postgres', url }), r.options));
    expect(exhausted).toBeInstanceOf(RetriesExhaustedError);
    expect((exhausted as RetriesExhaustedError).attempts).toBe(3);
    expect((exhausted as RetriesExhaustedError).cause).toBeInstanceOf(DatabaseConnectError);
    expect(r.retries.map((i) => i.attempt)).toEqual([1, 2]);
    // final for this invocation: the queue's dequeue count takes over, no nested retries
    expect(describeError(exhausted)).toEqual({ transient: false, code: 'ECONNREFUSED', source: 'network' });
  });
});

const postgresEngine = testEngines().find((e) => e.name === 'postgres');

(postgresEngine ? describe : describe.skip)('PostgreSQL server (TEST_POSTGRES_URL)', () => {
  let fresh: Awaited<ReturnType<NonNullable<typeof postgresEngine>['fresh']>>;
  let url: string;
  const clients: pg.Client[] = [];

  /** A connection of its own (the scenarios need two sessions that block each other). */
  async function session(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {}); // a terminated backend also emits 'error'; the query's rejection is what we check
    await client.connect();
    clients.push(client);
    return client;
  }

  async function resetAccounts(): Promise<void> {
    await sql`drop table if exists contas`.execute(fresh.database.db);
    await sql`create table contas (id int primary key, saldo int not null)`.execute(fresh.database.db);
    await sql`insert into contas values (1, 0), (2, 0)`.execute(fresh.database.db);
  }

  async function balances(): Promise<number[]> {
    const r = await sql<{ saldo: number }>`select saldo from contas order by id`.execute(fresh.database.db);
    return r.rows.map((row) => row.saldo);
  }

  beforeAll(async () => {
    fresh = await postgresEngine!.fresh();
    if (fresh.target.engine !== 'postgres') throw new Error('expected a postgres target');
    url = fresh.target.url;
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => {});
  });

  afterAll(async () => {
    await fresh?.close();
  });

  it('a unique violation (23505) is permanent and not retried', async () => {
    await resetAccounts();
    let calls = 0;
    const error = await rejection(
      withRetry(async () => {
        calls++;
        await sql`insert into contas values (1, 5)`.execute(fresh.database.db);
      }, fastRetry(4).options),
    );
    expect(describeError(error)).toEqual({ transient: false, code: '23505', source: 'postgres' });
    expect(calls).toBe(1);
    expect(await balances()).toEqual([0, 0]);
  });

  it('a real deadlock (40P01) is transient; the victim, retried, commits and both transfers land', async () => {
    await resetAccounts();
    const [a, b] = [await session(), await session()];
    // Both sessions take their first row lock before either asks for the second: a certain
    // deadlock on the first attempt. Retries run without the barrier.
    let holding = 0;
    let release!: () => void;
    const bothHold = new Promise<void>((done) => (release = done));
    const transfer = (client: pg.Client, first: number, second: number) => async (attempt: number) => {
      await client.query('begin');
      try {
        await client.query('update contas set saldo = saldo + 1 where id = $1', [first]);
        if (attempt === 1) {
          if (++holding === 2) release();
          await bothHold;
        }
        await client.query('update contas set saldo = saldo + 1 where id = $1', [second]);
        await client.query('commit');
      } catch (e) {
        await client.query('rollback');
        throw e;
      }
    };
    // Real (short) backoff: a victim that retried instantly could take its first row back before
    // the other backend wakes up and deadlock again — the reason for backoff with jitter. Even
    // then it only costs another retry, so the test asserts outcomes, not an exact retry count.
    const retries: RetryInfo[] = [];
    const options = { attempts: 6, baseDelayMs: 50, maxDelayMs: 400, onRetry: (i: RetryInfo) => void retries.push(i) };
    const results = await Promise.allSettled([withRetry(transfer(a, 1, 2), options), withRetry(transfer(b, 2, 1), options)]);
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    for (const { error } of retries) expect(describeError(error)).toEqual({ transient: true, code: '40P01', source: 'postgres' });
    expect(await balances()).toEqual([2, 2]);
  });

  it('a real serialization failure (40001) is transient; the retried transaction sees the other write', async () => {
    await resetAccounts();
    const [reader, writer] = [await session(), await session()];
    const r = fastRetry(3);
    await withRetry(async (attempt) => {
      await reader.query('begin isolation level repeatable read');
      try {
        await reader.query('select saldo from contas where id = 1'); // the snapshot is taken here
        if (attempt === 1) await writer.query('update contas set saldo = saldo + 10 where id = 1'); // commits concurrently
        await reader.query('update contas set saldo = saldo + 1 where id = 1');
        await reader.query('commit');
      } catch (e) {
        await reader.query('rollback');
        throw e;
      }
    }, r.options);
    expect(r.retries).toHaveLength(1);
    expect(describeError(r.retries[0]!.error)).toEqual({ transient: true, code: '40001', source: 'postgres' });
    expect(await balances()).toEqual([11, 0]);
  });

  it('a row lock held by another session (NOWAIT -> 55P03) is transient', async () => {
    await resetAccounts();
    const [holder, waiter] = [await session(), await session()];
    await holder.query('begin');
    await holder.query('select * from contas where id = 1 for update');
    const error = await rejection(waiter.query('select * from contas where id = 1 for update nowait'));
    await holder.query('rollback');
    expect(describeError(error)).toEqual({ transient: true, code: '55P03', source: 'postgres' });
  });

  it('a backend terminated by an administrator (57P01) is transient', async () => {
    const victim = await session();
    const { rows } = await victim.query<{ pid: number }>('select pg_backend_pid() as pid');
    const pid = rows[0]!.pid;
    const running = victim.query('select pg_sleep(30)');
    const settled = rejection(running);
    // wait until the statement is really running, then terminate its backend
    for (let i = 0; i < 100; i++) {
      const r = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where pid = ${pid} and state = 'active'`.execute(fresh.database.db);
      if (Number(r.rows[0]!.n) === 1) break;
      await new Promise((done) => setTimeout(done, 20));
    }
    await sql`select pg_terminate_backend(${pid})`.execute(fresh.database.db);
    expect(describeError(await settled)).toEqual({ transient: true, code: '57P01', source: 'postgres' });
  });
});

describe('PGlite', () => {
  let database: Awaited<ReturnType<typeof openDatabase>>;
  beforeAll(async () => {
    database = await openDatabase({ engine: 'pglite', dataDir: null });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('an undefined table (42P01) is permanent and not retried', async () => {
    let calls = 0;
    const error = await rejection(
      withRetry(async () => {
        calls++;
        await sql`select * from nao_existe`.execute(database.db);
      }, fastRetry(4).options),
    );
    expect(describeError(error)).toEqual({ transient: false, code: '42P01', source: 'postgres' });
    expect(calls).toBe(1);
  });

  it('a syntax error (42601) and a unique violation (23505) are permanent', async () => {
    const syntax = await rejection(sql`selec 1`.execute(database.db));
    expect(describeError(syntax)).toEqual({ transient: false, code: '42601', source: 'postgres' });
    await sql`create table t (id int primary key)`.execute(database.db);
    await sql`insert into t values (1)`.execute(database.db);
    const duplicate = await rejection(sql`insert into t values (1)`.execute(database.db));
    expect(describeError(duplicate)).toEqual({ transient: false, code: '23505', source: 'postgres' });
  });
});

describe('Azure Storage (Azurite)', () => {
  // The SDK's own retry policy already retries transient failures; one try here shows what our
  // classifier sees once the SDK has given up.
  const once = { retryOptions: { maxTries: 1 } };

  it('a missing blob (404 BlobNotFound) and an existing container (409) are permanent', async () => {
    const s = await freshStorage();
    try {
      const missing = await rejection(s.container('raw').getBlockBlobClient('nao/existe.ndjson.gz').download());
      expect(describeError(missing)).toEqual({ transient: false, code: 'BlobNotFound', source: 'storage' });
      const exists = await rejection(s.container('raw').create());
      expect(describeError(exists)).toEqual({ transient: false, code: 'ContainerAlreadyExists', source: 'storage' });
    } finally {
      await s.cleanup();
    }
  });

  it('a request to a stopped Azurite is transient, for blobs and queues', async () => {
    const azurite = await startAzurite({ inMemory: true });
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString, once);
    const queues = QueueServiceClient.fromConnectionString(azurite.connectionString, once);
    await blobs.getContainerClient('raw').create(); // it really answers while running
    await azurite.stop();

    const blobError = await rejection(blobs.getContainerClient('raw').getBlockBlobClient('x').upload('x', 1));
    expect(blobError).toMatchObject({ name: 'RestError' });
    expect(describeError(blobError)).toEqual({ transient: true, code: 'ECONNREFUSED', source: 'storage' });

    const queueError = await rejection(queues.getQueueClient('load').sendMessage('e30='));
    expect(describeError(queueError)).toEqual({ transient: true, code: 'ECONNREFUSED', source: 'storage' });
  });
});

describe('SQL Server drivers (tedious, mssql)', () => {
  it('tedious against a closed port: a real ConnectionError ESOCKET, transient', async () => {
    const port = await closedPort();
    const connection = new Connection({
      server: '127.0.0.1',
      authentication: { type: 'default', options: { userName: 'sa', password: 'x' } },
      options: { port, encrypt: false, connectTimeout: 5000 },
    });
    const error = await new Promise<unknown>((done) => {
      connection.connect((err) => done(err));
    });
    connection.close();
    expect(error).toBeInstanceOf(ConnectionError);
    expect(describeError(error)).toEqual({ transient: true, code: 'ESOCKET', source: 'mssql' });
  });

  it('openDatabase(mssql) against a closed port: transient through DatabaseConnectError and mssql ConnectionError', async () => {
    const port = await closedPort();
    const error = await rejection(
      openDatabase({ engine: 'mssql', connectionString: `Server=127.0.0.1,${port};Database=x;User Id=sa;Password=x;Encrypt=false;Connect Timeout=5` }),
    );
    expect(error).toBeInstanceOf(DatabaseConnectError);
    expect((error as Error).cause).toBeInstanceOf(mssql.ConnectionError);
    expect(isTransient(error)).toBe(true);
    expect(describeError(error)).toEqual({ transient: true, code: 'ESOCKET', source: 'mssql' });
  });

  // Server errors as tedious's RequestTokenHandler builds them from the ERROR token.
  function serverError(number: number, message: string): RequestError {
    const error = new RequestError(message, 'EREQUEST');
    error.number = number;
    error.state = 1;
    error.class = number === 1205 ? 13 : 14;
    return error;
  }

  it('deadlock victim 1205 is transient, duplicate key 2627 is permanent (tedious RequestError)', () => {
    const deadlock = serverError(
      1205,
      'Transaction (Process ID 52) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.',
    );
    const duplicate = serverError(2627, "Violation of PRIMARY KEY constraint 'pk_fato'. Cannot insert duplicate key in object 'dw.fato_vendas'.");
    expect(describeError(deadlock)).toEqual({ transient: true, code: '1205', source: 'mssql' });
    expect(describeError(duplicate)).toEqual({ transient: false, code: '2627', source: 'mssql' });
    // tedious reports several errors of one batch as an AggregateError
    const terminated = serverError(3621, 'The statement has been terminated.');
    expect(isTransient(new AggregateError([duplicate, terminated]))).toBe(false);
    expect(isTransient(new AggregateError([deadlock]))).toBe(true);
  });

  it('mssql wrappers: RequestError copies the number; precedingErrors and originalError are looked into', () => {
    // as mssql/lib/tedious/request.js handleError does: err.info = token; new RequestError(err, 'EREQUEST')
    const wrap = (number: number, message: string) =>
      new mssql.RequestError(Object.assign(new Error(message), { info: { number, state: 1, class: 16, message } }), 'EREQUEST');
    const throttled = wrap(40501, 'The service is currently busy. Retry the request after 10 seconds.');
    expect(throttled.number).toBe(40501);
    expect(describeError(throttled)).toEqual({ transient: true, code: '40501', source: 'mssql' });
    const last = Object.assign(wrap(3621, 'The statement has been terminated.'), { precedingErrors: [wrap(1205, 'deadlock victim')] });
    expect(isTransient(last)).toBe(true);
    const permanent = Object.assign(wrap(3621, 'The statement has been terminated.'), { precedingErrors: [wrap(2627, 'duplicate key')] });
    expect(isTransient(permanent)).toBe(false);
    // a tedious request timeout wrapped by mssql (no info, so mssql's number is the code string)
    const timeout = new mssql.RequestError(new RequestError('Timeout: Request failed to complete in 15000ms', 'ETIMEOUT'), 'EREQUEST');
    expect(describeError(timeout)).toEqual({ transient: true, code: 'ETIMEOUT', source: 'mssql' });
  });

  it('tedious isTransient on login errors is honoured; a plain login failure is permanent', () => {
    const transientLogin = new ConnectionError('Database is not currently available.', 'ELOGIN');
    transientLogin.isTransient = true;
    expect(describeError(transientLogin)).toEqual({ transient: true, code: 'ELOGIN', source: 'mssql' });
    expect(describeError(new ConnectionError("Login failed for user 'sa'.", 'ELOGIN'))).toEqual({ transient: false, code: 'ELOGIN', source: 'mssql' });
  });
});
