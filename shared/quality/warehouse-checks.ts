// The checks that only need the warehouse (the catalogue adds control totals and the
// reconciliation with the source). Names are stable: they key the check history and the API.
// A rule that matters both in a load and over the whole warehouse is listed once per phase under
// the same name (SCD2 integrity); `dw:check` runs each name once, over whole tables.
import type { QualityCheck } from './check.js';
import { DAILY_VOLUME } from './daily-volume-check.js';
import { failingRowsCheck } from './failing-rows.js';
import { FRESHNESS, REJECTED_ROWS } from './load-health-checks.js';
import { MONEY_CHECKS } from './money-checks.js';
import { POINT_IN_TIME_CHECKS } from './point-in-time-checks.js';
import { SCD2_CHECKS } from './scd2-checks.js';
import { UNKNOWN_MEMBER_SHARE } from './unknown-members-check.js';
import { BUSINESS_KEY_CHECKS, GRAIN_CHECKS } from './uniqueness-checks.js';

export const WAREHOUSE_CHECKS: readonly QualityCheck[] = [
  // blocking: what a load must never commit
  ...[...BUSINESS_KEY_CHECKS, ...SCD2_CHECKS, ...GRAIN_CHECKS, ...POINT_IN_TIME_CHECKS, ...MONEY_CHECKS].map(failingRowsCheck),
  // warnings: what is worth a look after the load
  UNKNOWN_MEMBER_SHARE,
  DAILY_VOLUME,
  failingRowsCheck(REJECTED_ROWS),
  FRESHNESS,
];
