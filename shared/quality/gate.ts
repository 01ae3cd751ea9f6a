// Write-audit-publish: the checks of a load phase run inside the load's transaction, after its
// writes and before its commit. A blocking failure throws QualityGateError, which rolls the load
// back (facts, dimensions, quarantine and watermarks unchanged) and fails the run with the check's
// name and sample keys; the batch stays in Blob storage for a replay after the fix. Results of a
// passing gate are written in the same transaction as the data they vouch for; those of a failing
// gate are written after the rollback (recordGateFailure), so the history keeps them.
import type { Kysely } from 'kysely';
import type { WarehouseTables } from '../db/schema/index.js';
import { QUALITY_CHECKS } from './catalogue.js';
import type { CheckInput, CheckResult, Phase, QualityCheck } from './check.js';
import { recordResults } from './history.js';
import { blockingFailures, concurrencyFor, runChecks } from './runner.js';

export class QualityGateError extends Error {
  constructor(
    readonly phase: Phase,
    readonly results: readonly CheckResult[],
  ) {
    const failed = blockingFailures(results);
    const what = failed.map(
      (r) => `${r.name}: observed ${r.observed}, expected ${r.expected}${r.samples.length > 0 ? `; e.g. ${r.samples.slice(0, 3).join(' | ')}` : ''}`,
    );
    super(`quality gate failed (${phase}): ${what.join('; ')}`);
    this.name = 'QualityGateError';
  }
}

/** Which checks a gate runs: its phase's, from the catalogue unless the caller names others. */
export interface GateChecks {
  catalogue?: readonly QualityCheck[];
  /**
   * The tables the load wrote (a dimension, a fact step's facts): checks about other tables
   * (QualityCheck.tables) are left to the loads that write them. Absent: every check of the phase.
   */
  audits?: readonly string[];
}

export function checksOf(phase: Phase, { catalogue = QUALITY_CHECKS, audits }: GateChecks = {}): QualityCheck[] {
  return catalogue.filter((c) => c.phase === phase && (!audits || !c.tables || c.tables.some((t) => audits.includes(t))));
}

/**
 * Runs a phase's checks on `input.dw` (the load's transaction) and records them there when none
 * blocks; throws QualityGateError otherwise (nothing recorded: the transaction rolls back).
 */
export async function runGate(phase: Phase, input: CheckInput & { runId: string }, which: GateChecks = {}): Promise<CheckResult[]> {
  // inside a load's transaction one by one; after the fact load, on the pools, a few at once
  const results = await runChecks(checksOf(phase, which), input, concurrencyFor(input));
  if (blockingFailures(results).length > 0) throw new QualityGateError(phase, results);
  await recordResults(input.dw, input.runId, results);
  return results;
}

/** After a load rolled back on a failed gate: keeps the gate's results in the history. */
export async function recordGateFailure(db: Kysely<WarehouseTables>, runId: string, error: unknown): Promise<void> {
  if (error instanceof QualityGateError) await recordResults(db, runId, error.results);
}
