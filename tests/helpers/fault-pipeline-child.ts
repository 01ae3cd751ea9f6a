// The pipeline process the kill -9 / server-restart / storage-stop fault cases start as a child
// (tests/helpers/fault-child.ts starts it; run with `node --import tsx`). It does what
// `npm run pipeline` does (scripts/pipeline.ts runPipelineOnce): the local Functions host fires
// the extract timer, then polls the queues with host.json's retry semantics until the run is
// settled, and exits 0 if the run succeeded, 1 if not. Databases and storage come from the usual
// settings (OLTP_CONNECTION_STRING, DW_CONNECTION_STRING, AzureWebJobsStorage, BLOB_CONTAINER).
//
// FAULT_PAUSE_AT stops it at one point of the run, prints `FAULT-PAUSED <stage>` and waits for a
// `continue` line on stdin (or a kill -9):
//   extract        before the third entity's batch is written (two batches and their etl rows done;
//                  entities extracted at once wait there too)
//   after-extract  right after the extract queued the dimension load
//   dimensions     inside the clientes merge's transaction (after the merge, before the commit)
//   facts          inside the sales transaction (after the facts, before the commit)
// FAULT_HOST_JSON: the host.json to read (tests make retries fast). It prints `FAULT-TZ <zone>
// <offset at 1970 in minutes>` first and `FAULT-REPORT <run report as JSON>` last.
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeAllDatabases, getWarehouseDatabase } from '../../shared/db/connections.js';
import { factFaults } from '../../shared/pipeline/facts/steps.js';
import { faults } from '../../shared/pipeline/load-dimensions.js';
import { QUEUES } from '../../shared/pipeline/messages.js';
import { BatchStore } from '../../shared/storage/batch-store.js';
import { QueueSender } from '../../shared/storage/queues.js';
import { runPipelineOnce } from '../../scripts/pipeline.js';

const stage = process.env.FAULT_PAUSE_AT ?? '';
const resumers: (() => void)[] = [];
const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === 'continue') resumers.shift()?.();
});

let paused = false;
async function pause(at: string): Promise<void> {
  if (paused) return; // once per process
  paused = true;
  console.log(`FAULT-PAUSED ${at}`);
  await new Promise<void>((resume) => resumers.push(resume));
  console.log(`FAULT-RESUMED ${at}`);
}

/** Resolves once the run's first two batches are recorded (etl.batch). */
async function twoBatchesRecorded(runId: string): Promise<void> {
  const dw = await getWarehouseDatabase();
  for (;;) {
    const { n } = await dw.db
      .selectFrom('etl.batch')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    if (Number(n) >= 2) return;
    await sleep(20);
  }
}

if (stage === 'extract') {
  const writeBatch = BatchStore.prototype.writeBatch;
  let calls = 0;
  let held: Promise<void> | undefined;
  BatchStore.prototype.writeBatch = async function (this: BatchStore, ...args: Parameters<BatchStore['writeBatch']>) {
    // the third batch and every later one wait at the pause: entities extracted at once
    // (EXTRACT_CONCURRENCY) are under way beside it, and none may write a batch past it
    if (++calls >= 3) await (held ??= twoBatchesRecorded(args[0].runId).then(() => pause('extract')));
    return writeBatch.apply(this, args);
  };
} else if (stage === 'after-extract') {
  const send = QueueSender.prototype.send;
  QueueSender.prototype.send = async function (this: QueueSender, queueName: string, message: object) {
    await send.call(this, queueName, message);
    if (queueName === QUEUES.dimensions) await pause('after-extract');
  };
} else if (stage === 'dimensions') {
  faults.afterMerge = async (entity) => {
    if (entity === 'clientes') await pause('dimensions');
  };
} else if (stage === 'facts') {
  factFaults.afterSales = () => pause('facts');
} else if (stage !== '') {
  throw new Error(`unknown FAULT_PAUSE_AT '${stage}'`);
}

// the process time zone it runs in (TZ), for the time-zone case to check it took effect
console.log(`FAULT-TZ ${Intl.DateTimeFormat().resolvedOptions().timeZone} ${new Date(0).getTimezoneOffset()}`);

let code = 1;
try {
  const report = await runPipelineOnce((line) => console.log(line), { hostJsonPath: process.env.FAULT_HOST_JSON, pollIdleMs: 300 });
  console.log(`FAULT-REPORT ${JSON.stringify(report)}`);
  code = report.status === 'succeeded' ? 0 : 1;
} catch (e) {
  console.log(`FAULT-ERROR ${e instanceof Error ? e.stack : String(e)}`);
} finally {
  await closeAllDatabases().catch(() => undefined);
  input.close();
}
process.exit(code);
