// withRetry: how often an operation runs, how long it waits in between, and what the caller sees
// when it gives up. Randomness and time are injected: nothing here really waits.
import { isTransient } from '../../shared/db/transient.js';
import { backoffCap, DEFAULT_RETRY, RetriesExhaustedError, withRetry, type RetryInfo, type RetryOptions } from '../../shared/pipeline/retry.js';

/** A Node socket error as net.Socket raises it (code set by libuv). */
function socketError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code, errno: -111, syscall: 'connect' });
}

/** Recorded waits instead of real ones. */
function clock() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

/** An operation that fails with the given errors in turn, then returns 'ok'. */
function failing(...errors: unknown[]) {
  const calls: number[] = [];
  const operation = async (attempt: number) => {
    calls.push(attempt);
    if (calls.length <= errors.length) throw errors[calls.length - 1];
    return 'ok';
  };
  return { calls, operation };
}

const options = (extra: Partial<RetryOptions> = {}): RetryOptions => ({ attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, ...extra });

describe('withRetry', () => {
  it('returns the first success without waiting', async () => {
    const c = clock();
    const op = failing();
    await expect(withRetry(op.operation, options({ sleep: c.sleep }))).resolves.toBe('ok');
    expect(op.calls).toEqual([1]);
    expect(c.waits).toEqual([]);
  });

  it('retries transient errors until one attempt succeeds, passing the attempt number', async () => {
    const c = clock();
    const op = failing(socketError('ECONNRESET'), socketError('ETIMEDOUT'));
    await expect(withRetry(op.operation, options({ sleep: c.sleep, random: () => 0.5 }))).resolves.toBe('ok');
    expect(op.calls).toEqual([1, 2, 3]);
    expect(c.waits).toHaveLength(2);
  });

  it('rethrows a permanent error at once, unchanged', async () => {
    const c = clock();
    const permanent = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505', severity: 'ERROR' });
    const op = failing(permanent);
    await expect(withRetry(op.operation, options({ sleep: c.sleep }))).rejects.toBe(permanent);
    expect(op.calls).toEqual([1]);
    expect(c.waits).toEqual([]);
  });

  it('stops retrying when a later attempt fails permanently', async () => {
    const c = clock();
    const permanent = new TypeError('bug');
    const op = failing(socketError('ECONNREFUSED'), permanent);
    await expect(withRetry(op.operation, options({ sleep: c.sleep }))).rejects.toBe(permanent);
    expect(op.calls).toEqual([1, 2]);
    expect(c.waits).toHaveLength(1);
  });

  it('after the last attempt throws RetriesExhaustedError with attempts and the last error as cause', async () => {
    const c = clock();
    const errors = [socketError('ECONNRESET'), socketError('ECONNRESET'), socketError('ECONNRESET'), socketError('ETIMEDOUT')];
    const op = failing(...errors);
    const error = await withRetry(op.operation, options({ sleep: c.sleep })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    const exhausted = error as RetriesExhaustedError;
    expect(exhausted.attempts).toBe(4);
    expect(exhausted.cause).toBe(errors[3]);
    expect(exhausted.message).toContain('4 attempts');
    expect(exhausted.message).toContain('ETIMEDOUT');
    expect(op.calls).toEqual([1, 2, 3, 4]);
    expect(c.waits).toHaveLength(3);
  });

  it('makes RetriesExhaustedError permanent, so nested retries do not multiply', async () => {
    const c = clock();
    const inner = () => withRetry(failing(socketError('ECONNRESET'), socketError('ECONNRESET')).operation, options({ attempts: 2, sleep: c.sleep }));
    let outerCalls = 0;
    const error = await withRetry(
      async () => {
        outerCalls++;
        return inner();
      },
      options({ attempts: 3, sleep: c.sleep }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(isTransient(error)).toBe(false);
    expect(isTransient((error as RetriesExhaustedError).cause)).toBe(true);
    expect(outerCalls).toBe(1);
  });

  it('with attempts 1 runs once and still reports exhaustion of a transient error', async () => {
    const op = failing(socketError('ECONNRESET'));
    await expect(withRetry(op.operation, options({ attempts: 1 }))).rejects.toBeInstanceOf(RetriesExhaustedError);
    expect(op.calls).toEqual([1]);
  });

  it('uses the isTransient option instead of the driver classification', async () => {
    const c = clock();
    class Flaky extends Error {}
    const op = failing(new Flaky('once'), new Flaky('twice'));
    await expect(withRetry(op.operation, options({ sleep: c.sleep, isTransient: (e) => e instanceof Flaky }))).resolves.toBe('ok');
    expect(op.calls).toEqual([1, 2, 3]);
    // and the other way round: a socket error is not retried when the caller says so
    const op2 = failing(socketError('ECONNRESET'));
    await expect(withRetry(op2.operation, options({ sleep: c.sleep, isTransient: () => false }))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(op2.calls).toEqual([1]);
  });

  it('rejects nonsensical options before running anything', async () => {
    const op = failing();
    await expect(withRetry(op.operation, options({ attempts: 0 }))).rejects.toBeInstanceOf(RangeError);
    await expect(withRetry(op.operation, options({ attempts: 1.5 }))).rejects.toBeInstanceOf(RangeError);
    await expect(withRetry(op.operation, options({ baseDelayMs: -1 }))).rejects.toBeInstanceOf(RangeError);
    expect(op.calls).toEqual([]);
  });
});

describe('backoff with full jitter', () => {
  it('caps double per failed attempt up to maxDelayMs', () => {
    const o = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCap(n, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('waits random() * cap: the upper bound with random near 1, nothing with random 0', async () => {
    const upper = clock();
    const errors = Array.from({ length: 5 }, () => socketError('ECONNRESET'));
    await withRetry(failing(...errors).operation, options({ attempts: 6, sleep: upper.sleep, random: () => 0.999999 }));
    expect(upper.waits).toEqual([99, 199, 399, 799, 999]);

    const lower = clock();
    await withRetry(failing(...errors).operation, options({ attempts: 6, sleep: lower.sleep, random: () => 0 }));
    expect(lower.waits).toEqual([0, 0, 0, 0, 0]);
  });

  it('stays within [0, cap) for any random value', async () => {
    const c = clock();
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31; // deterministic LCG in [0, 1)
    const errors = Array.from({ length: 9 }, () => socketError('ETIMEDOUT'));
    await withRetry(failing(...errors).operation, options({ attempts: 10, sleep: c.sleep, random }));
    expect(c.waits).toHaveLength(9);
    c.waits.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(backoffCap(i + 1, { baseDelayMs: 100, maxDelayMs: 1000 }));
    });
    expect(new Set(c.waits).size).toBeGreaterThan(1); // jittered, not a fixed schedule
  });

  it('calls onRetry before each wait with the failed attempt, the delay and the error', async () => {
    const c = clock();
    const infos: RetryInfo[] = [];
    const errors = [socketError('ECONNRESET'), socketError('EPIPE')];
    await withRetry(failing(...errors).operation, options({ sleep: c.sleep, random: () => 0.5, onRetry: (info) => infos.push(info) }));
    expect(infos).toEqual([
      { attempt: 1, delayMs: 50, error: errors[0] },
      { attempt: 2, delayMs: 100, error: errors[1] },
    ]);
    expect(c.waits).toEqual([50, 100]);
  });

  it('DEFAULT_RETRY: 4 attempts, waits capped at 0.5 s, 1 s, 2 s', async () => {
    expect(DEFAULT_RETRY).toEqual({ attempts: 4, baseDelayMs: 500, maxDelayMs: 10_000 });
    const c = clock();
    const errors = Array.from({ length: 4 }, () => socketError('ECONNRESET'));
    const error = await withRetry(failing(...errors).operation, { ...DEFAULT_RETRY, sleep: c.sleep, random: () => 0.999999 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(c.waits).toEqual([499, 999, 1999]);
  });

  it('really waits with the default sleep (a few ms)', async () => {
    const started = process.hrtime.bigint();
    await withRetry(failing(socketError('ECONNRESET')).operation, { attempts: 2, baseDelayMs: 20, maxDelayMs: 20, random: () => 0.999 });
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeGreaterThanOrEqual(15);
  });
});
