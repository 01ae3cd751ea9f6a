// Retry options of the storage SDK clients (blobs and queues). The SDKs' defaults (4 tries, 4 s
// doubling to 120 s between them, no per-try timeout) held a step 60-80 s per call while storage
// was unreachable, and that inside the pipeline's own retries (shared/pipeline/retry.ts: 4
// attempts with backoff) and the queue's redeliveries. Here the SDK only smooths over a blip: a few
// quick tries, each bounded, then the error reaches the step, which classifies it as transient and
// owns the backoff.
import type { StoragePipelineOptions as BlobPipelineOptions } from '@azure/storage-blob';
import type { StoragePipelineOptions as QueuePipelineOptions } from '@azure/storage-queue';

/** Shared by both clients: 3 tries, 0.25 s then 0.5 s apart (at most 2 s). */
const RETRY = { maxTries: 3, retryDelayInMs: 250, maxRetryDelayInMs: 2000 } as const;

/**
 * Blob clients (batch parts and manifests). A try is bounded at 60 s: a part is at most
 * EXTRACT_PART_MAX_BYTES (16 MiB) before gzip, seconds of transfer within an Azure region, so a
 * try that takes a minute is a hung connection, not a slow one.
 */
export const BLOB_CLIENT_OPTIONS: BlobPipelineOptions = { retryOptions: { ...RETRY, tryTimeoutInMs: 60_000 } };

/** Queue clients (load messages, extract retries, the local host's polling): messages are small, a try is bounded at 15 s. */
export const QUEUE_CLIENT_OPTIONS: QueuePipelineOptions = { retryOptions: { ...RETRY, tryTimeoutInMs: 15_000 } };
