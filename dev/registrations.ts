// Every function of functions/ with the trigger settings it registers with on Azure, for the local
// host (the real host reads the same settings from the app.* calls in each function file;
// tests/integration/local-host.test.ts checks the two agree).
import { backfillHandler, backfillRoute } from '../functions/backfill.js';
import { backfillExtractHandler, backfillExtractQueue } from '../functions/backfill-extract.js';
import { dashboardHandler, dashboardRoute } from '../functions/dashboard.js';
import { dashboardAssetsHandler, dashboardAssetsRoute } from '../functions/dashboard-assets.js';
import { extractHandler, extractTimer } from '../functions/extract.js';
import { extractRetryHandler, extractRetryQueue } from '../functions/extract-retry.js';
import { healthHandler, healthRoute } from '../functions/health.js';
import { kpiHandler, kpiRoute } from '../functions/kpi.js';
import { loadDimensionsHandler, loadDimensionsQueue } from '../functions/load-dimensions.js';
import { loadFactsHandler, loadFactsQueue } from '../functions/load-facts.js';
import { qualityHandler, qualityRoute } from '../functions/quality.js';
import { runsHandler, runsRoute } from '../functions/runs.js';
import { watchdogHandler, watchdogTimer } from '../functions/watchdog.js';

export const REGISTRATIONS = {
  timers: [
    { name: 'extract', ...extractTimer, handler: extractHandler },
    { name: 'watchdog', ...watchdogTimer, handler: watchdogHandler },
  ],
  queues: [
    { name: 'loadDimensions', ...loadDimensionsQueue, handler: loadDimensionsHandler },
    { name: 'loadFacts', ...loadFactsQueue, handler: loadFactsHandler },
    { name: 'extractRetry', ...extractRetryQueue, handler: extractRetryHandler },
    { name: 'backfillExtract', ...backfillExtractQueue, handler: backfillExtractHandler },
  ],
  http: [
    { name: 'health', ...healthRoute, handler: healthHandler },
    { name: 'backfill', ...backfillRoute, handler: backfillHandler },
    { name: 'runs', ...runsRoute, handler: runsHandler },
    { name: 'quality', ...qualityRoute, handler: qualityHandler },
    { name: 'kpi', ...kpiRoute, handler: kpiHandler },
    { name: 'dashboard', ...dashboardRoute, handler: dashboardHandler },
    { name: 'dashboardAssets', ...dashboardAssetsRoute, handler: dashboardAssetsHandler },
  ],
};

export type TimerRegistration = (typeof REGISTRATIONS.timers)[number];
export type QueueRegistration = (typeof REGISTRATIONS.queues)[number];
export type HttpRegistration = (typeof REGISTRATIONS.http)[number];
