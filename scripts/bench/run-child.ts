// Starts one measured unit (child.ts) in its own Node process and returns what it printed as its
// result. The child's output is kept and shown when it fails.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchJob } from './child.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export class BenchChildError extends Error {}

export interface ChildResult {
  ms: number;
  peakRssMB: number;
  /** the child's wall time, process start-up included */
  wallMs: number;
  [key: string]: unknown;
}

const live = new Set<ReturnType<typeof spawn>>();

/** Kills the children still running (the bench was interrupted). */
export function killChildren(): void {
  for (const c of live) c.kill('SIGKILL');
}

export function runChild(job: BenchJob, env: Record<string, string>, opts: { heapMB?: number } = {}): Promise<ChildResult> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/child.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      // the heap cap `npm run pipeline` runs with, for the pipeline units
      NODE_OPTIONS: opts.heapMB ? `--max-old-space-size=${opts.heapMB}` : '',
      ...env,
      BENCH_JOB: JSON.stringify(job),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      live.delete(child);
      const wallMs = performance.now() - started;
      const line = out.split('\n').find((l) => l.startsWith('BENCH-RESULT '));
      if (code === 0 && line) {
        resolve({ ...(JSON.parse(line.slice('BENCH-RESULT '.length)) as ChildResult), wallMs });
        return;
      }
      const error = out.split('\n').find((l) => l.startsWith('BENCH-ERROR '));
      const reason = error ? (JSON.parse(error.slice('BENCH-ERROR '.length)) as string) : `exit ${code ?? signal}`;
      const tail = out.split('\n').slice(-30).join('\n');
      reject(new BenchChildError(`bench unit '${job.unit}' failed: ${reason}\n--- its last output ---\n${tail}`));
    });
  });
}
