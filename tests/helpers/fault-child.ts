// Starts tests/helpers/fault-pipeline-child.ts (one `npm run pipeline`-equivalent run) or
// fault-host-child.ts (the scheduled local host) as a child process, waits for it to reach a pause
// point or print a line, resumes or kills it (-9). Every child started is
// tracked: stopAllChildren() (call it in afterEach) SIGKILLs any still alive and waits for its exit,
// so a failing test leaves no process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunReport } from '../../shared/pipeline/run-report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const live = new Set<PipelineChild>();

export type PauseStage = 'extract' | 'after-extract' | 'dimensions' | 'facts';

export interface PipelineChild {
  readonly pid: number;
  /** resolves when the child printed FAULT-PAUSED <stage>; rejects if it exits first or after timeoutMs */
  paused(timeoutMs: number): Promise<void>;
  /** resolves when the child printed `text`; rejects if it exits first or after timeoutMs */
  printed(text: string, timeoutMs: number): Promise<void>;
  /** lets a paused child go on */
  resume(): void;
  /** SIGKILL, then waits for the exit */
  kill9(): Promise<void>;
  /** resolves with the exit; rejects after timeoutMs (the child is then killed) */
  exited(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** the run report it printed at the end, if it got there */
  report(): RunReport | null;
  /** everything it printed (stdout and stderr) */
  output(): string;
}

/** A host.json like the shipped one with retries that come back after 1 s instead of 30 s. */
export function fastHostJson(): { path: string; remove: () => void } {
  const hostJson = JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8'));
  hostJson.extensions.queues.visibilityTimeout = '00:00:01';
  const dir = mkdtempSync(join(tmpdir(), 'fault-host-'));
  const path = join(dir, 'host.json');
  writeFileSync(path, JSON.stringify(hostJson));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function startPipelineChild(env: Record<string, string>, pauseAt?: PauseStage): PipelineChild {
  return startChild('tests/helpers/fault-pipeline-child.ts', { ...env, FAULT_PAUSE_AT: pauseAt ?? '' }, pauseAt);
}

/**
 * The local Functions host as `npm start` runs it (tests/helpers/fault-host-child.ts): timers on
 * their schedules (EXTRACT_SCHEDULE, WATCHDOG_SCHEDULE from `env`) and the queues polled in the
 * background, until it is killed. It prints `FAULT-HOST-READY` once it runs.
 */
export function startHostChild(env: Record<string, string>): PipelineChild {
  return startChild('tests/helpers/fault-host-child.ts', env);
}

/** Any child script of tests/helpers (run with `node --import tsx`), tracked like the others. */
export function startChild(script: string, env: Record<string, string>, pauseAt?: PauseStage): PipelineChild {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=256', EXTRACT_SAFETY_LAG_SECONDS: '0', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.stdin!.on('error', () => undefined); // writing to a killed child
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  let exitedAlready = false;
  void exit.then(() => {
    exitedAlready = true;
    live.delete(handle);
    for (const l of listeners) l();
  });

  const handle: PipelineChild = {
    pid: child.pid!,
    paused(timeoutMs) {
      return handle.printed(`FAULT-PAUSED ${pauseAt}`, timeoutMs);
    },
    printed(text, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`child did not print '${text}' within ${timeoutMs} ms:\n${out.slice(-3000)}`)), timeoutMs);
        const check = () => {
          if (out.includes(text)) finish();
          else if (exitedAlready) finish(new Error(`child exited before printing '${text}':\n${out.slice(-3000)}`));
        };
        const finish = (e?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (e) reject(e);
          else resolve();
        };
        listeners.add(check);
        check();
      });
    },
    resume() {
      child.stdin!.write('continue\n');
    },
    async kill9() {
      if (!exitedAlready) child.kill('SIGKILL');
      await exit;
    },
    async exited(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`child did not exit within ${timeoutMs} ms:\n${out.slice(-3000)}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exit, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    report() {
      const line = out.split('\n').find((l) => l.startsWith('FAULT-REPORT '));
      return line ? (JSON.parse(line.slice('FAULT-REPORT '.length)) as RunReport) : null;
    },
    output: () => out,
  };
  live.add(handle);
  return handle;
}

/** Kills (-9) every child still running and waits for each to exit. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.kill9()));
}
