// The whole catalogue run now, outside a load (`npm run dw:check`): every check over whole tables
// (no run id). A check defined for two phases runs once. Checks of the control totals need a
// load's staged batch and report that they had none.
import type { Kysely } from 'kysely';
import type { OltpTables, WarehouseTables } from '../db/schema/index.js';
import { QUALITY_CHECKS } from './catalogue.js';
import type { CheckResult, QualitySettings } from './check.js';
import { recordResults } from './history.js';
import { concurrencyFor, runChecks } from './runner.js';

export async function checkWarehouseNow(
  dw: Kysely<WarehouseTables>,
  oltp: Kysely<OltpTables>,
  settings: QualitySettings,
  now = new Date(),
): Promise<CheckResult[]> {
  const seen = new Set<string>();
  const once = QUALITY_CHECKS.filter((c) => !seen.has(c.name) && seen.add(c.name));
  const results = await runChecks(once, { dw, oltp, settings, now }, concurrencyFor({ dw, oltp }));
  await recordResults(dw, null, results, now);
  return results;
}
