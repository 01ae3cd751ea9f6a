// The quality check catalogue: every check the pipeline runs and `npm run dw:check` lists, in the
// order they run within a phase. README "Data quality" describes each.
import type { QualityCheck } from './check.js';

export const QUALITY_CHECKS: readonly QualityCheck[] = [];
