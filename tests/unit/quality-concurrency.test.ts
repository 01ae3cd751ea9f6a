// The runner's concurrency (shared/quality/runner.ts, concurrency.ts): checks of the whole-warehouse
// phase may run a few at a time on the pools; results keep the catalogue's order, the slow ones
// start first, no more than the limit run at once, and the gate's elapsed time is what it took.
import type { CheckInput, QualityCheck } from '../../shared/quality/check.js';
import { runBounded } from '../../shared/quality/concurrency.js';
import { elapsedMs, runChecks } from '../../shared/quality/runner.js';
import { qualitySummary } from '../../shared/quality/summary.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function probes(log: string[], running: { now: number; max: number }) {
  const check = (name: string, ms: number, startsFirst = false): QualityCheck => ({
    name,
    severity: 'blocking',
    phase: 'warehouse',
    description: 'a check that only waits, for the runner test',
    ...(startsFirst ? { startsFirst } : {}),
    run: async (input) => {
      log.push(`${name}${input.concurrent ? ' (concurrent)' : ''}`);
      running.max = Math.max(running.max, ++running.now);
      await sleep(ms);
      running.now--;
      if (name === 'broken') throw new Error('no such table');
      return { failing: 0, observed: name, expected: name, samples: [] };
    },
  });
  return [check('a', 40), check('broken', 10), check('b', 40), check('slow', 120, true), check('c', 40)];
}

const input = {} as CheckInput;

describe('quality runner concurrency', () => {
  it('one at a time by default, in catalogue order', async () => {
    const log: string[] = [];
    const running = { now: 0, max: 0 };
    const results = await runChecks(probes(log, running), input);
    expect(log).toEqual(['a', 'broken', 'b', 'slow', 'c']);
    expect(running.max).toBe(1);
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['a', 'passed'],
      ['broken', 'error'],
      ['b', 'passed'],
      ['slow', 'passed'],
      ['c', 'passed'],
    ]);
  });

  it('a few at once: the slow ones first, never more than the limit, results in catalogue order, elapsed below the sum', async () => {
    const log: string[] = [];
    const running = { now: 0, max: 0 };
    const results = await runChecks(probes(log, running), input, 3);
    expect(log[0]).toBe('slow (concurrent)');
    expect(running.max).toBe(3);
    expect(results.map((r) => r.name)).toEqual(['a', 'broken', 'b', 'slow', 'c']);
    expect(results.find((r) => r.name === 'broken')).toMatchObject({ status: 'error', observed: expect.stringMatching(/no such table/) });
    const sum = results.reduce((n, r) => n + r.ms, 0);
    expect(elapsedMs(results)).toBeLessThan(sum);
    expect(qualitySummary(results).ms).toBe(elapsedMs(results));
    // results not returned by runChecks (e.g. two gates' results together) count their sum
    expect(elapsedMs([...results])).toBe(sum);
  });

  it('runBounded keeps the items order and rethrows the first failure after the others finished', async () => {
    const done: number[] = [];
    await expect(
      runBounded([30, 10, 20], 2, async (ms) => {
        await sleep(ms);
        done.push(ms);
        if (ms === 10) throw new Error('ten');
        return ms;
      }),
    ).rejects.toThrow('ten');
    expect(done.sort()).toEqual([10, 20, 30]);
    await expect(runBounded([3, 1, 2], 2, async (n) => n * 2, [2, 1, 0])).resolves.toEqual([6, 2, 4]);
  });
});
