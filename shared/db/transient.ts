// Transient or permanent? One place that reads the drivers' own error data (SQLSTATE, SQL Server
// error numbers, HTTP status codes, Node socket codes) and decides whether trying the same
// operation again, a little later, can succeed. Retry logic (shared/pipeline/retry.ts) retries
// only what this module calls transient; everything else fails at once so the run is marked failed
// (or the row quarantined) instead of burning its time budget on something that cannot succeed.
//
//   isTransient(e)     true when a later retry of the same operation may succeed
//   describeError(e)   the same verdict plus the code and the layer that decided it, for logs
//
// Errors are classified by duck typing on the drivers' documented fields, not by message text
// (one exception: node-postgres raises a lost connection as a plain Error with no code, so its
// few exact messages are listed in PG_CODELESS_TRANSIENT) and without importing the drivers (a pglite-only process never loads tedious or the Azure SDK).
// Our own wrappers (DatabaseConnectError sets `cause`) and the drivers' wrappers (mssql's
// `originalError` and `precedingErrors`, AggregateError's `errors`) are walked: an error is
// transient when any error in that tree is transient, because a wrapper adds context, not a
// different failure. The walk stops at an error marked NOT_RETRYABLE (RetriesExhaustedError):
// once the in-process retries are spent the failure is final for this invocation, and the
// queue's dequeue count / the next scheduled run takes over instead of nested retries multiplying.

export type ErrorSource = 'postgres' | 'mssql' | 'storage' | 'network' | 'unknown';

export interface ErrorDescription {
  /** a later retry of the same operation may succeed */
  transient: boolean;
  /** SQLSTATE, SQL Server error number, storage error code (or HTTP status), or socket code */
  code?: string;
  /** which layer's data decided */
  source: ErrorSource;
}

/**
 * Marks an error as final for in-process retries: isTransient() is false for it and does not look
 * at its causes. Set (as a property with value true) by RetriesExhaustedError.
 */
export const NOT_RETRYABLE: unique symbol = Symbol.for('vendas-analytics.notRetryable');

// --- PostgreSQL (pg and PGlite both expose the server's SQLSTATE as `code`) ----------------------

/** SQLSTATE classes whose every condition is transient. */
const PG_TRANSIENT_CLASSES = new Map<string, string>([
  // 08 connection exception: the connection failed or was lost (failover, restart, network);
  // a new connection usually works.
  ['08', 'connection_exception'],
  // 53 insufficient resources: too many connections (53300), out of memory (53200), disk full
  // (53100): pressure on the server that is released as other sessions finish.
  ['53', 'insufficient_resources'],
]);

/** Individual SQLSTATEs that are transient (the rest of their class is not). */
const PG_TRANSIENT_CODES = new Map<string, string>([
  // The transaction lost a race with a concurrent one and was rolled back by the server; running
  // it again from the start is the documented remedy.
  ['40001', 'serialization_failure'],
  ['40P01', 'deadlock_detected'],
  // The server is shutting down or restarting (admin command, crash recovery, failover) or still
  // starting up: it will accept connections again shortly.
  ['57P01', 'admin_shutdown'],
  ['57P02', 'crash_shutdown'],
  ['57P03', 'cannot_connect_now'],
  // lock_timeout / NOWAIT: another session holds the lock; it will be released when that
  // session's transaction ends.
  ['55P03', 'lock_not_available'],
]);

/**
 * node-postgres's own errors for a connection that went away, which carry no code: the socket
 * closed mid-statement (server restart, pg_terminate_backend after its 57P01 notice, network
 * drop), a statement sent on a client that already lost its connection, and connect/acquire
 * timeouts. Matched on the exact message of a plain Error, nothing looser.
 */
const PG_CODELESS_TRANSIENT = new Set([
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
]);

function isSqlState(code: string): boolean {
  return /^[0-9A-Z]{5}$/.test(code);
}

function classifyPostgres(code: string): boolean {
  return PG_TRANSIENT_CODES.has(code) || PG_TRANSIENT_CLASSES.has(code.slice(0, 2));
}

// --- SQL Server (tedious RequestError/ConnectionError, mssql wrappers) ----------------------------

/** Server error numbers after which the same request may succeed (Azure SQL guidance, EF Core's list). */
const MSSQL_TRANSIENT_NUMBERS = new Map<number, string>([
  [1205, 'chosen as deadlock victim: the other transaction finished, run ours again'],
  [40197, 'service error processing the request (reconfiguration, failover)'],
  [40501, 'service is busy (throttling); retry after a pause'],
  [40613, 'database not currently available (being moved or failing over)'],
  [49918, 'not enough resources to process the request (throttling)'],
  [49919, 'too many create/update operations in progress for the subscription'],
  [49920, 'too many operations in progress for the subscription'],
  [4060, 'cannot open database (often briefly during failover of a serverless/paused database)'],
  [4221, 'login to read-secondary failed during replica (re)configuration'],
  [10928, 'resource limit reached (worker/session governance); frees up as requests finish'],
  [10929, 'minimum resource guarantee not available right now'],
  [233, 'connection closed by the server before login completed (no process on the other end)'],
  [10053, 'transport-level error: connection aborted by the host (network)'],
  [10054, 'transport-level error: connection reset by the peer (network)'],
  [10060, 'network-related error: connection attempt timed out'],
  [64, 'network name no longer available (connection dropped)'],
  [20, 'instance does not support encryption (seen transiently while a gateway reconfigures)'],
  [40143, 'service encountered an error processing the request (gateway); retry'],
  [11001, 'host not found while connecting (transient DNS / gateway resolution on Azure SQL)'],
]);

/** tedious / mssql connection-level codes: the socket or the pooled connection went away. */
const MSSQL_TRANSIENT_CODES = new Map<string, string>([
  ['ETIMEOUT', 'connect or request timeout: the server or network was slow, not wrong'],
  ['ESOCKET', 'socket error while connecting or mid-request (reset, refused, lost); wraps the socket error'],
  ['ECONNCLOSED', 'mssql: the pooled connection was closed under us; a new one can be opened'],
  // ECONNRESET (tedious sets it on "socket hang up") is Node's own code: classified under network.
]);

/**
 * Codes only tedious and mssql use (from their sources); those not listed above are permanent:
 * ELOGIN (bad credentials, unless tedious marked it isTransient), EREQUEST (server error; its
 * `number` decides first), ECANCEL/EABORT (cancelled by us), EPARAM/EARGS/EINJECT (our bug), ...
 */
const MSSQL_CODES = new Set([
  ...MSSQL_TRANSIENT_CODES.keys(),
  // tedious
  'ECANCEL',
  'ECLOSE',
  'EENCRYPT',
  'EFEDAUTH',
  'EINSTLOOKUP',
  'EINVALIDSTATE',
  'ELOGIN',
  'EPARAM',
  // mssql
  'EABORT',
  'EALREADYBEGUN',
  'EALREADYPREPARED',
  'EARGS',
  'EDUPEPARAM',
  'EINJECT',
  'EJSON',
  'ENAME',
  'ENOCONN',
  'ENOTBEGUN',
  'ENOTOPEN',
  'EREQINPROG',
  'EREQUEST',
]);

// --- Azure Storage (@azure/storage-blob / -queue throw core-rest-pipeline's RestError) ------------

const STORAGE_TRANSIENT_STATUS = new Map<number, string>([
  [408, 'request timeout'],
  [429, 'throttled (too many requests); back off and retry'],
  [500, 'internal error / operation timed out on the service side'],
  [502, 'bad gateway: a front end could not reach the partition server'],
  [503, 'server busy / service unavailable (throttling at the partition or account)'],
  [504, 'gateway timeout'],
]);

/** RestError codes for requests that never got a response (no statusCode). */
const STORAGE_TRANSIENT_SEND_CODES = new Set(['REQUEST_SEND_ERROR', 'ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED']);

// --- Node sockets and DNS ------------------------------------------------------------------------

const NETWORK_CODES = new Map<string, boolean>([
  ['ECONNRESET', true], // the peer dropped the connection (restart, idle timeout, load balancer)
  ['ECONNREFUSED', true], // nothing listening yet: the service is starting or failing over
  ['ETIMEDOUT', true], // the network or the peer was too slow to answer
  ['EPIPE', true], // wrote to a connection the peer had already closed
  ['EAI_AGAIN', true], // DNS server temporarily failed to answer
  ['ENOTFOUND', false], // DNS answered: the name does not exist — configuration, not luck
]);

// --- the walk ------------------------------------------------------------------------------------

type Verdict = { transient: boolean; code?: string; source: ErrorSource };

function isObject(value: unknown): value is Record<PropertyKey, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The verdict carried by this one error object, without looking at the errors it wraps. */
function classifyOne(e: Record<PropertyKey, unknown>): Verdict | undefined {
  const code = typeof e.code === 'string' ? e.code : undefined;

  // Azure Storage: the HTTP status decides; without one the request never got an answer.
  if (e.name === 'RestError') {
    if (typeof e.statusCode === 'number') {
      return { transient: STORAGE_TRANSIENT_STATUS.has(e.statusCode), code: code ?? String(e.statusCode), source: 'storage' };
    }
    if (code !== undefined && STORAGE_TRANSIENT_SEND_CODES.has(code)) return { transient: true, code, source: 'storage' };
    if (code !== undefined && NETWORK_CODES.has(code)) return { transient: NETWORK_CODES.get(code) === true, code, source: 'storage' };
    return undefined; // let the cause (if any) decide
  }

  // SQL Server: newer tedious marks login errors it knows to be transient; honour that first.
  if (typeof e.isTransient === 'boolean') {
    return { transient: e.isTransient, code: typeof e.number === 'number' ? String(e.number) : code, source: 'mssql' };
  }
  // A server error number (mssql's RequestError copies it from tedious; a tedious-less wrapper may
  // put a code string there, which is not a number and is ignored).
  if (typeof e.number === 'number') {
    return { transient: MSSQL_TRANSIENT_NUMBERS.has(e.number), code: String(e.number), source: 'mssql' };
  }
  if (code !== undefined && MSSQL_CODES.has(code)) {
    return { transient: MSSQL_TRANSIENT_CODES.has(code), code, source: 'mssql' };
  }

  // Node sockets / DNS (also what pg rejects with when the server cannot be reached).
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return { transient: NETWORK_CODES.get(code) === true, code, source: 'network' };
  }

  // PostgreSQL (pg's DatabaseError and PGlite's error both carry the server's `severity`).
  if (code !== undefined && isSqlState(code) && typeof e.severity === 'string') {
    return { transient: classifyPostgres(code), code, source: 'postgres' };
  }
  if (code === undefined && e.name === 'Error' && typeof e.message === 'string' && PG_CODELESS_TRANSIENT.has(e.message)) {
    return { transient: true, code: 'connection_lost', source: 'postgres' };
  }
  return undefined;
}

/** Errors this one wraps, in the order they are worth looking at. */
function wrapped(e: Record<PropertyKey, unknown>): unknown[] {
  const inner: unknown[] = [];
  if ('cause' in e) inner.push(e.cause);
  if ('originalError' in e) inner.push(e.originalError); // mssql MSSQLError -> tedious error
  if (Array.isArray(e.precedingErrors)) inner.push(...(e.precedingErrors as unknown[])); // mssql: earlier errors of the batch
  if (Array.isArray(e.errors)) inner.push(...(e.errors as unknown[])); // AggregateError (tedious, Node happy eyeballs)
  return inner;
}

const MAX_NODES = 50;

/**
 * Classifies an error: transient when any error in its cause tree is transient by its driver's
 * data; otherwise the outermost error that carries driver data names the (permanent) code and
 * source; 'unknown' (permanent) when none does.
 */
export function describeError(error: unknown): ErrorDescription {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  let first: Verdict | undefined;
  while (queue.length > 0 && seen.size < MAX_NODES) {
    const e = queue.shift();
    if (!isObject(e) || seen.has(e)) continue;
    seen.add(e);
    if (e[NOT_RETRYABLE] === true) {
      // Final for this invocation; keep what caused it for the log line.
      const inner = 'cause' in e ? describeError(e.cause) : { source: 'unknown' as const };
      first ??= { ...inner, transient: false };
      continue;
    }
    const verdict = classifyOne(e);
    if (verdict?.transient) return verdict;
    first ??= verdict;
    queue.push(...wrapped(e));
  }
  return first ?? { transient: false, source: 'unknown' };
}

/** True when a later retry of the same operation may succeed (see describeError). */
export function isTransient(error: unknown): boolean {
  return describeError(error).transient;
}
