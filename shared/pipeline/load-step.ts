// What every load step of a run does first: keep the run's lease (a retried message may arrive
// after a pause), mark the run running again, and read the run's manifests, refusing any that
// belongs to another run or entity.
import { BatchIntegrityError } from '../storage/batch-store.js';
import type { Manifest } from '../storage/batch-manifest.js';
import type { PipelineContext } from './context.js';
import { renewLease } from './lease.js';
import type { LoadMessage } from './messages.js';
import { resumeRun } from './run-audit.js';

export async function openLoadStep(ctx: PipelineContext, message: LoadMessage): Promise<Map<string, Manifest>> {
  const { dw, store, settings } = ctx;
  const { runId } = message;
  await renewLease(dw.db, runId, settings.RUN_LEASE_MINUTES);
  await resumeRun(dw.db, runId);
  const manifests = new Map<string, Manifest>();
  for (const b of message.batches) {
    const manifest = await store.readManifest(b.manifestPath);
    if (manifest.runId !== runId || manifest.entity !== b.entity) {
      throw new BatchIntegrityError(`manifest ${b.manifestPath} belongs to run ${manifest.runId}/${manifest.entity}, not ${runId}/${b.entity}`, b.manifestPath);
    }
    manifests.set(b.entity, manifest);
  }
  return manifests;
}
