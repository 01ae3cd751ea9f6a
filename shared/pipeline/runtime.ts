// The pipeline context of this process, built once from the settings: shared database
// connections (see shared/db/connections.ts), the batch store and the queue sender. Handlers
// get it with their invocation's logger.
import { loadSettings } from '../config/settings.js';
import { getOltpDatabase, getWarehouseDatabase } from '../db/connections.js';
import { BatchStore } from '../storage/batch-store.js';
import { QueueSender } from '../storage/queues.js';
import { createTeamsNotifier, type TeamsNotifier } from '../alerts/teams-notifier.js';
import { telemetrySink } from '../telemetry/app-insights.js';
import type { QualityCheck } from '../quality/check.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/run-telemetry.js';
import type { PipelineContext } from './context.js';
import type { Delivery } from './messages.js';

/**
 * Bench seam: `npm run bench` runs one daily run per round with no quality check, to price the
 * checks as the difference (scripts/bench/child.ts). Never set in production.
 */
export const contextSeams: { qualityChecks?: readonly QualityCheck[] } = {};

// one notifier per process: its once-per-run memory must outlive an invocation
let teams: TeamsNotifier | undefined;

/** This process's telemetry: the Application Insights sink and the Teams notifier (each off when not configured). */
export async function processTelemetry(log: Logger, teamsWebhookUrl: string): Promise<Telemetry> {
  teams ??= createTeamsNotifier(teamsWebhookUrl, { log });
  return { sink: await telemetrySink(log), teams };
}

/** `delivery`: a queue trigger's attempt (dequeueCount), so a load's last attempt gives its run up. */
export async function pipelineContext(log: Logger, delivery?: Delivery): Promise<PipelineContext> {
  const settings = loadSettings();
  const [oltp, dw] = await Promise.all([getOltpDatabase(), getWarehouseDatabase()]);
  return {
    settings,
    oltp,
    dw,
    // a connection string or the app's identity, as the settings say (shared/storage/storage-account.ts)
    store: BatchStore.fromStorageAccount(settings.storage, settings.BLOB_CONTAINER),
    queues: QueueSender.fromStorageAccount(settings.storage),
    log,
    telemetry: await processTelemetry(log, settings.ALERT_TEAMS_WEBHOOK_URL),
    ...(delivery ? { delivery } : {}),
    ...(contextSeams.qualityChecks ? { qualityChecks: contextSeams.qualityChecks } : {}),
  };
}
