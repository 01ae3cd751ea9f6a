// The quality check catalogue: every check the pipeline runs and `npm run dw:check` lists, in the
// order they run within a phase. README "Data quality" describes each.
import type { QualityCheck } from './check.js';
import { CONTROL_TOTALS_DIMENSIONS, CONTROL_TOTALS_FACTS } from './control-totals.js';
import { RECONCILE_DISCOUNTS, RECONCILE_SALES, RECONCILE_TARGETS } from './reconciliation.js';
import { WAREHOUSE_CHECKS } from './warehouse-checks.js';

export const QUALITY_CHECKS: readonly QualityCheck[] = [
  // first what the load staged against what the extract wrote, then what it made of it
  CONTROL_TOTALS_DIMENSIONS,
  CONTROL_TOTALS_FACTS,
  ...WAREHOUSE_CHECKS,
  RECONCILE_SALES,
  RECONCILE_DISCOUNTS,
  RECONCILE_TARGETS,
];
