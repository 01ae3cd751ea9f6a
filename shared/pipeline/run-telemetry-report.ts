// How a load step's outcome reaches telemetry and alerts (shared/telemetry/run-telemetry.ts),
// with the run's start time and row counts read from its report. A failure the queue will
// deliver again is a PipelineStepRetried; a final one (the last delivery, or an error no retry can
// fix) is the run's one PipelineRunFailed and its alert.
import { runFailed, runSucceeded, stepRetried, type Counts, type RunRef } from '../telemetry/run-telemetry.js';
import type { PipelineContext } from './context.js';
import { errorText } from './run-audit.js';
import { readRunReport, type RunReport } from './run-report.js';

/** Rows the run read (its extract), loaded and quarantined (its load steps), and its duration so far. */
export function runCounts(report: RunReport, now = new Date()): Counts {
  const sum = (steps: RunReport['steps'], f: (s: RunReport['steps'][number]) => number) => steps.reduce((n, s) => n + f(s), 0);
  const loads = report.steps.filter((s) => s.step !== 'extract');
  return {
    durationMs: now.getTime() - new Date(report.startedAt).getTime(),
    rowsRead: sum(
      report.steps.filter((s) => s.step === 'extract'),
      (s) => s.read,
    ),
    rowsLoaded: sum(loads, (s) => s.loaded),
    rowsRejected: sum(loads, (s) => s.rejected),
  };
}

const runRef = (runId: string, kind: string, report: RunReport | null): RunRef => ({
  runId,
  kind,
  ...(report ? { startedAt: new Date(report.startedAt) } : {}),
});

/** After a load step failed: the retry event, or the final failure with its alert. Never throws. */
export async function reportLoadFailure(
  ctx: PipelineContext,
  run: { runId: string; kind: string },
  failure: { step: 'dimensions' | 'facts'; entity?: string; error: unknown; final: string | null },
): Promise<void> {
  try {
    const attempt = ctx.delivery?.dequeueCount;
    if (!failure.final) {
      stepRetried(ctx, run, {
        step: failure.step,
        entity: failure.entity,
        error: failure.error,
        attempt: attempt ?? 1,
        reason: 'the queue delivers the message again',
      });
      return;
    }
    const report = await readRunReport(ctx.dw.db, run.runId).catch(() => null);
    await runFailed(ctx, runRef(run.runId, run.kind, report), {
      step: failure.step,
      entity: failure.entity,
      error: failure.error,
      attempt,
      reason: failure.final,
      ...(report ? runCounts(report) : {}),
    });
  } catch (e) {
    ctx.log.warn('could not report the failure to telemetry', { runId: run.runId, error: errorText(e) });
  }
}

/** After the run succeeded: its event and metrics, from the report the fact load read to close the run. Never throws. */
export async function reportRunSucceeded(ctx: PipelineContext, report: RunReport, certifiedTo: Date | null, finishedAt = new Date()): Promise<void> {
  if (!ctx.telemetry?.sink.enabled) return;
  try {
    await runSucceeded(ctx, runRef(report.runId, report.kind, report), { ...runCounts(report, finishedAt), finishedAt, certifiedTo });
  } catch (e) {
    ctx.log.warn('could not report the run to telemetry', { runId: report.runId, error: errorText(e) });
  }
}

/**
 * A run found dead (its lease expired without a heartbeat) was marked failed by the run that took
 * the lease over: its process could not say so, so this is its final failure. Never throws.
 */
export async function reportDeadRun(ctx: PipelineContext, dead: { runId: string; expiredAt: Date }, recoveredBy: string): Promise<void> {
  try {
    const report = await readRunReport(ctx.dw.db, dead.runId).catch(() => null);
    // the step it died in: the one still marked running (the extract if it had none yet)
    const at = report?.steps.find((s) => s.status === 'running') ?? report?.steps.at(-1);
    await runFailed(ctx, runRef(dead.runId, report?.kind ?? 'daily', report), {
      step: at?.step ?? 'extract',
      entity: at?.entity,
      error: new Error(`run presumed dead: its pipeline lease expired at ${dead.expiredAt.toISOString()} without a heartbeat; recovered by run ${recoveredBy}`),
      reason: 'its process stopped; the run that took the lease over loads its data again',
      ...(report ? runCounts(report) : {}),
    });
  } catch (e) {
    ctx.log.warn('could not report the dead run to telemetry', { runId: dead.runId, error: errorText(e) });
  }
}
