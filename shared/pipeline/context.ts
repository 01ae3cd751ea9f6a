// What a pipeline step needs, built once per process by the function host (or a test).
import type { Settings } from '../config/settings.js';
import type { Database } from '../db/database.js';
import type { OltpTables, WarehouseTables } from '../db/schema/index.js';
import type { BatchStore } from '../storage/batch-store.js';
import type { QueueSender } from '../storage/queues.js';
import type { QualityCheck } from '../quality/check.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/run-telemetry.js';
import type { Delivery } from './messages.js';
import type { RetryOptions } from './retry.js';

export interface PipelineContext {
  settings: Settings;
  oltp: Database<OltpTables>;
  dw: Database<WarehouseTables>;
  store: BatchStore;
  queues: QueueSender;
  log: Logger;
  /** Application Insights and the Teams notifier (default: off; shared/telemetry/run-telemetry.ts) */
  telemetry?: Telemetry;
  /** backoff for transient errors inside an invocation (default DEFAULT_RETRY) */
  retry?: RetryOptions;
  /** set by a queue trigger: which attempt this is (a load's last attempt gives the run up) */
  delivery?: Delivery;
  /** lease timing, for tests (defaults: heartbeat every third of RUN_LEASE_MINUTES, a busy claim waited for up to the lease plus 30 s) */
  lease?: { heartbeatMs?: number; claimWaitMs?: number; claimPollMs?: number };
  /**
   * The checks the quality gates run (default: the catalogue, shared/quality/catalogue.ts). Only
   * the golden T-SQL recorder sets it: its scripted answers are not data a check could judge, so
   * it records the gates' bookkeeping here and the checks' own statements separately.
   */
  qualityChecks?: readonly QualityCheck[];
}
