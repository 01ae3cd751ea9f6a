// The local Functions host as `npm start` runs it, for the fault cases that need the timers on
// their schedules (tests/helpers/fault-child.ts startHostChild; run with `node --import tsx`):
// EXTRACT_SCHEDULE and WATCHDOG_SCHEDULE from the environment, the queues polled in the background
// with host.json's semantics (FAULT_HOST_JSON: the host.json to read). Databases and storage come
// from the usual settings. Prints `FAULT-HOST-READY` once running and every host log line; runs
// until it is killed.
import { startLocalHost } from '../../dev/host.js';

await startLocalHost({
  storageConnectionString: process.env.AzureWebJobsStorage!,
  hostJsonPath: process.env.FAULT_HOST_JSON,
  schedule: true,
  log: (line) => console.log(line),
});
console.log('FAULT-HOST-READY');
// the host's timers and pollers keep the process alive until the test kills it
