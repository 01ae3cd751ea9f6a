// The window arithmetic of the incremental extract (DESIGN §4.1, §4.2), with no I/O so it can be
// tested on its own. A window is (from, to]: rows whose updated_at is after `from` and at or before
// `to`.
//   - daily run:  (last watermark - overlap, min(source clock - safety lag, start of the oldest
//                 transaction still open on the source)]; no lower bound on the first run.
//                 The cap (DESIGN §4.1, §10 "Late commits"): a transaction stamps updated_at no
//                 earlier than its own start (PostgreSQL's now() IS its start), so a row it commits
//                 later can only carry an updated_at at or after that start; ending the window just
//                 before it keeps every such row for a later window, however late it commits.
//                 The overlap re-reads rows sharing the boundary timestamp, clock skew and rows
//                 whose updated_at application code set in the past (the cap cannot see those);
//                 loads are idempotent, so that is free.
//   - backfill:   the window it asked for, as given (the request was checked against the source
//                 clock when it was made, see backfill.ts).
// Only a daily run's loads move watermarks, to the `to` of the window they loaded, and never
// backwards: a backfill re-reads an old window and must not drag them to its end.
import type { OpenTransactionsRead } from '../db/portable-sql.js';
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
 * What the source said about its open transactions, read just before the extract's snapshot
 * (portable-sql.ts readOpenTransactions):
 * - 'visible': every other session of the source database could be seen; `oldestStart` is the
 *   start of the oldest transaction still open (null: none), `observedAt` the source clock when
 *   it looked (a transaction that begins after it starts after it, so the cap never exceeds it);
 * - 'unavailable': the login may not see other sessions (PostgreSQL without pg_read_all_stats,
 *   SQL Server without VIEW SERVER STATE / VIEW DATABASE STATE): no cap, the overlap is the only
 *   protection, and the run says so.
 */
export type OpenTransactions = OpenTransactionsRead;

/** How the open-transaction cap shaped one window, for the run report and logs. */
export interface WindowCap {
  /** 'none': nothing open and the lag bound held; 'open-transaction': the cap ended the window earlier; 'unavailable': no cap could be computed; 'backfill': not applied */
  status: 'none' | 'open-transaction' | 'unavailable' | 'backfill';
  /** the start of the oldest open transaction, when one was seen */
  oldestOpenTransaction: Date | null;
  /** how far the cap pulled `to` below the lag bound (0 when it did not) */
  heldBackMs: number;
  /** why the cap could not be computed */
  reason?: string;
}

/**
 * The cap's bound: strictly before the oldest open transaction's start (and its observation time).
 * Source timestamps have microseconds, Dates milliseconds: flooring to the millisecond and taking
 * one off ends the window strictly before any row that transaction can stamp, as the window's end
 * is inclusive.
 */
export function openTransactionBound(open: Extract<OpenTransactions, { status: 'visible' }>): Date {
  const at = open.oldestStart && open.oldestStart < open.observedAt ? open.oldestStart : open.observedAt;
  return new Date(Math.floor(at.getTime()) - 1);
}

/**
 * The window of one daily extract and how the open-transaction cap shaped it:
 * to = min(source clock - safety lag, just before the oldest open transaction's start). Like the
 * lag, a cap before the window's start gives an empty window at its start, never a backwards one.
 */
export function cappedExtractWindow(args: {
  watermark: Date | null;
  sourceClock: Date;
  overlapMinutes: number;
  safetyLagSeconds: number;
  openTransactions: OpenTransactions;
  backfill?: ExtractWindow;
}): { window: ExtractWindow; cap: WindowCap } {
  if (args.backfill) return { window: args.backfill, cap: { status: 'backfill', oldestOpenTransaction: null, heldBackMs: 0 } };
  const open = args.openTransactions;
  const lagBound = new Date(args.sourceClock.getTime() - args.safetyLagSeconds * SECOND_MS);
  if (open.status === 'unavailable') {
    return {
      window: extractWindow({ ...args, backfill: undefined }),
      cap: { status: 'unavailable', oldestOpenTransaction: null, heldBackMs: 0, reason: open.reason },
    };
  }
  const capBound = openTransactionBound(open);
  const capped = capBound < lagBound;
  const from = args.watermark ? new Date(args.watermark.getTime() - args.overlapMinutes * MINUTE_MS) : null;
  const to = capped ? capBound : lagBound;
  return {
    window: { from, to: from && to < from ? from : to },
    cap: {
      status: capped && open.oldestStart ? 'open-transaction' : 'none',
      oldestOpenTransaction: open.oldestStart,
      heldBackMs: capped ? lagBound.getTime() - capBound.getTime() : 0,
    },
  };
}

/** True when the cap held the window back longer than the warning threshold (EXTRACT_OPEN_TRANSACTION_WARN_MINUTES). */
export const heldBackTooLong = (cap: WindowCap, warnMinutes: number) => cap.status === 'open-transaction' && cap.heldBackMs > warnMinutes * MINUTE_MS;

/**
 * Late rows the cap cannot catch: rows of this batch at or below the previous window's end (the
 * watermark) that the previous batch did not hold. Counting them exactly needs the previous
 * batch's rows; counts give a lower bound that never raises a false alarm: `previousTailRows` is
 * how many rows the previous batch read in (its end - overlap, its end], `overlapRows` how many
 * this batch read in the same range (its own (from, watermark]). A row can enter that range only
 * by committing after the previous snapshot with an updated_at at or below the previous end, so
 * more rows now than then means at least that many late rows; rows that left the range since
 * (updated again, deleted) can hide late ones. Null when there is nothing to compare.
 */
export function lateRowsAtLeast(previousTailRows: number | null, overlapRows: number): number | null {
  return previousTailRows === null ? null : Math.max(0, overlapRows - previousTailRows);
}

/**
 * The window of one entity's extract, without the open-transaction cap (see cappedExtractWindow). `sourceClock` is the source's own clock, read in the same
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
