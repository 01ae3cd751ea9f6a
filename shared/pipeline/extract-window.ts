// The window arithmetic of the incremental extract (DESIGN §4.1, §4.2), with no I/O so it can be
// tested on its own. A window is (from, to]: rows whose updated_at is after `from` and at or before
// `to`.
//   - daily run:  (last watermark - overlap, source clock - safety lag]; no lower bound on the
//                 first run. The overlap re-reads rows committed late with an earlier updated_at
//                 and rows sharing the boundary timestamp; loads are idempotent, so that is free.
//   - backfill:   the window it asked for, as given (the request was checked against the source
//                 clock when it was made, see backfill.ts).
// Only a daily run's loads move watermarks, to the `to` of the window they loaded, and never
// backwards: a backfill re-reads an old window and must not drag them to its end.
import type { RunKind } from './run-audit.js';

export interface ExtractWindow {
  from: Date | null;
  to: Date;
}

/** A window as a manifest stores it: ISO-8601 UTC text. */
export interface WindowText {
  from: string | null;
  to: string;
}

const MINUTE_MS = 60_000;
const SECOND_MS = 1000;

/**
 * The window of one entity's extract. `sourceClock` is the source's own clock, read in the same
 * snapshot as the rows. If the lag would put `to` before `from` (the source clock went back, or
 * the lag grew by more than the overlap) the window is empty, (from, from]: it never runs
 * backwards, reads nothing, and its `to` is behind the watermark, so the watermark stays put.
 */
export function extractWindow(args: {
  watermark: Date | null;
  sourceClock: Date;
  overlapMinutes: number;
  safetyLagSeconds: number;
  backfill?: ExtractWindow;
}): ExtractWindow {
  if (args.backfill) return args.backfill;
  const from = args.watermark ? new Date(args.watermark.getTime() - args.overlapMinutes * MINUTE_MS) : null;
  const to = new Date(args.sourceClock.getTime() - args.safetyLagSeconds * SECOND_MS);
  return { from, to: from && to < from ? from : to };
}

/**
 * The watermark a committed load sets for its entity: the end of the window it loaded on a daily
 * run; `null` on a backfill, which never moves a watermark.
 */
export function watermarkAfterLoad(kind: RunKind, loaded: ExtractWindow): Date | null {
  return kind === 'daily' ? loaded.to : null;
}

/** Watermarks never move backwards: the later of the two, or `null` when `current` already is. */
export function laterWatermark(current: Date | null, candidate: Date): Date | null {
  return current === null || candidate > current ? candidate : null;
}

export const windowText = (w: ExtractWindow): WindowText => ({ from: w.from?.toISOString() ?? null, to: w.to.toISOString() });

export const windowOf = (w: WindowText): ExtractWindow => ({ from: w.from === null ? null : new Date(w.from), to: new Date(w.to) });
