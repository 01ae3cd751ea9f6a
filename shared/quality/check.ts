// What a warehouse quality check is (the catalogue: catalogue.ts) and what it reports.
//
// A check looks at the warehouse (and, for reconciliation, at the source) and returns how many
// units fail (rows, members, months...), what it observed and expected, and up to MAX_SAMPLES keys
// of failing units. Its severity says what a failure does: a `blocking` failure stops the run
// (inside a load's transaction it rolls the load back; after the fact load it keeps the certified
// pointer where it is); a `warning` is recorded and logged only. `tolerance` is the dbt-style
// threshold: up to that many failing units are a warning even for a blocking check.
//
// When a check runs (`phase`):
//   dimensions - inside each dimension load's transaction, before commit, over that run's rows
//   facts      - inside each fact step's transaction, before commit, over that run's rows
//   warehouse  - after the fact load has committed, over the whole warehouse (and the source)
// `dw:check` runs every check of the warehouse phase, and the run phases with no run (whole tables).
import type { Compilable, Kysely } from 'kysely';
import type { Settings } from '../config/settings.js';
import type { OltpTables, WarehouseTables } from '../db/schema/index.js';
import type { EntityName } from '../pipeline/entities.js';
import type { PrefetchedReads } from './reconciliation-queries.js';
import type { Manifest } from '../storage/batch-manifest.js';

export type Severity = 'blocking' | 'warning';
export type Phase = 'dimensions' | 'facts' | 'warehouse';
/** passed: nothing failed; warned: failures within tolerance or a warning check; failed: a blocking check over its tolerance; error: the check could not run */
export type CheckStatus = 'passed' | 'warned' | 'failed' | 'error';

export const MAX_SAMPLES = 20;

/** The settings the checks read (thresholds of the warning checks). */
export type QualitySettings = Pick<
  Settings,
  'QUALITY_UNKNOWN_SHARE_WARN_PERCENT' | 'QUALITY_UNKNOWN_AGE_WARN_DAYS' | 'QUALITY_VOLUME_DEVIATION_WARN_PERCENT' | 'QUALITY_FRESHNESS_WARN_MINUTES'
>;

export interface CheckInput {
  /** the warehouse: inside a load, the load's transaction (so the check sees the uncommitted rows) */
  dw: Kysely<WarehouseTables>;
  /** the source, for checks that compare with it (warehouse phase only) */
  oltp?: Kysely<OltpTables>;
  /** the run being checked; absent for `npm run dw:check` (whole tables) */
  runId?: string;
  /**
   * The entities the check concerns, with their verified manifests (run phases: the entities the
   * load step staged; control totals compare staging with them). Staging still holds these rows.
   */
  batches?: ReadonlyMap<EntityName, Manifest>;
  settings: QualitySettings;
  /** the instant the check runs (defaults to now); volume and age checks measure from it */
  now?: Date;
  /**
   * Checks may read at the same time (runChecks's `concurrent` > 1: on connection pools, outside
   * a transaction, concurrency.ts): a reconciliation then reads the source and the warehouse at once.
   */
  concurrent?: boolean;
  /**
   * Source reads of the reconciliation started ahead of the gate (at the fact load's start, on
   * pools: reconciliation-prefetch.ts), by read and cutoff; a check uses one only for the cutoff
   * it finds, and re-reads the source before it reports a difference.
   */
  prefetched?: PrefetchedReads;
}

export interface CheckOutcome {
  /** failing units (0: passed) */
  failing: number;
  /** what the check saw, in words a data engineer reads: '3 duplicated (pedido_id, numero_item)', 'R$ 1.234,56 vs R$ 1.234,55 in 2024-05' */
  observed: string;
  /** what it expected: '0 duplicates', 'source = warehouse in every month' */
  expected: string;
  /** up to MAX_SAMPLES keys of failing units, e.g. 'item_id=42' or 'month=2024-05, source=..., warehouse=...' */
  samples: string[];
}

export interface QualityCheck {
  readonly name: string;
  readonly severity: Severity;
  readonly phase: Phase;
  /** what the check guarantees when it passes (README's catalogue) */
  readonly description: string;
  /** failing units that are still only a warning for a blocking check (default 0) */
  readonly tolerance?: number;
  /**
   * The warehouse tables it judges, when that is a few fact tables: a fact step's gate runs it
   * only when the step writes or re-keys one of them (FactStep.audits). Absent: every gate of its phase.
   */
  readonly tables?: readonly string[];
  /**
   * Reads whole tables of the source (the reconciliation): when the runner runs checks at the
   * same time (on connection pools, runner.ts) it starts these first, so the others overlap them.
   */
  readonly startsFirst?: boolean;
  /**
   * Runs the check. Throws only when it cannot run (a SQL error): the runner records it as
   * 'error', which blocks like a failure. Checks of a run phase with `input.runId` look only at
   * the rows of that run (e.g. `run_id = runId`, or the staged keys); without it, at whole tables.
   */
  run(input: CheckInput): Promise<CheckOutcome>;
  /**
   * The check's main query, for the golden T-SQL (scripts/emit-sql.ts): built on `db` (the
   * offline compiler) without executing. Checks that compute in Node return their SQL queries.
   */
  queries?(db: Kysely<WarehouseTables>, oltp: Kysely<OltpTables>): Compilable[];
}

export interface CheckResult {
  readonly name: string;
  readonly severity: Severity;
  readonly phase: Phase;
  readonly status: CheckStatus;
  readonly failing: number;
  readonly observed: string;
  readonly expected: string;
  readonly samples: readonly string[];
  readonly ms: number;
}

/** The status a check's outcome gets from its severity and tolerance. */
export function statusOf(check: Pick<QualityCheck, 'severity' | 'tolerance'>, failing: number): CheckStatus {
  if (failing === 0) return 'passed';
  if (check.severity === 'warning' || failing <= (check.tolerance ?? 0)) return 'warned';
  return 'failed';
}

/** Sample keys are formatted like the OLTP checks' samples ('col=value, col=value'). */
export { formatSample as sampleKey } from '../oltp/check-runner.js';
