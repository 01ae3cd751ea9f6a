// Runs the OLTP checks of check-catalogue.ts: per check, the number of failing rows and a few
// of them as samples, and the verdict the CLI turns into its exit code.
import type { Kysely } from 'kysely';
import { firstRows } from '../db/portable-sql.js';
import type { OltpTables } from '../db/schema/index.js';
import { OLTP_CHECKS, type OltpCheck, type Severity } from './check-catalogue.js';

export interface CheckResult {
  readonly name: string;
  readonly severity: Severity;
  readonly description: string;
  /** number of failing source rows */
  readonly failing: number;
  /** up to SAMPLE_SIZE failing rows, formatted as "col=value, ..." */
  readonly samples: string[];
}

export const SAMPLE_SIZE = 5;

export class OltpCheckError extends Error {
  constructor(
    readonly check: string,
    cause: unknown,
  ) {
    super(`OLTP check ${check} could not run: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'OltpCheckError';
  }
}

/** select count(*) from (<failing rows>) */
export function countQuery(check: OltpCheck, db: Kysely<OltpTables>) {
  return db.selectFrom(check.failingRows(db).as('f')).select((eb) => eb.fn.countAll().as('n'));
}

/** the first SAMPLE_SIZE failing rows, ordered by the check's keys */
export function sampleQuery(check: OltpCheck, db: Kysely<OltpTables>) {
  let q = db.selectFrom(check.failingRows(db).as('f')).selectAll();
  for (const k of check.keys) q = q.orderBy(`f.${k}`);
  return firstRows(db, q, SAMPLE_SIZE);
}

function formatValue(v: unknown): string {
  if (v instanceof Date) return v.toISOString().replace('T00:00:00.000Z', '');
  if (v === null || v === undefined) return 'null';
  return String(v);
}

export function formatSample(row: Record<string, unknown>): string {
  return Object.entries(row)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(', ');
}

/**
 * Runs the checks one after the other (PGlite has a single connection) and returns one result
 * per check. `db` may be a transaction.
 */
export async function runChecks(db: Kysely<OltpTables>, checks: readonly OltpCheck[] = OLTP_CHECKS): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      const row = await countQuery(check, db).executeTakeFirstOrThrow();
      const failing = Number(row.n);
      const samples = failing > 0 ? (await sampleQuery(check, db).execute()).map(formatSample) : [];
      results.push({ name: check.name, severity: check.severity, description: check.description, failing, samples });
    } catch (e) {
      throw new OltpCheckError(check.name, e);
    }
  }
  return results;
}

export const hasBlockingFailure = (results: readonly CheckResult[]): boolean => results.some((r) => r.severity === 'blocking' && r.failing > 0);

/** The CLI's exit code: 1 when a blocking check fails, 0 otherwise (warnings only print). */
export const checkExitCode = (results: readonly CheckResult[]): 0 | 1 => (hasBlockingFailure(results) ? 1 : 0);
