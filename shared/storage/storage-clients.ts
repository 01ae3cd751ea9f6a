// The app's own blob and queue service clients for the account storage-account.ts resolved: from
// the connection string, or from the service URL and a token credential of @azure/identity (no
// key anywhere). Both keep the bounded retries of storage-options.ts.
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import type { StorageAccount } from './storage-account.js';
import { BLOB_CLIENT_OPTIONS, QUEUE_CLIENT_OPTIONS } from './storage-options.js';

// one credential per identity per process: each caches its token, so a client built per
// invocation does not ask the identity endpoint for a new token every time
const credentials = new Map<string, TokenCredential>();

/** The token credential of an identity-based account (the Functions host's meaning of __credential and __clientId). */
export function storageCredential(account: Extract<StorageAccount, { kind: 'identity' }>): TokenCredential {
  const key = `${account.credential}:${account.clientId ?? ''}`;
  let credential = credentials.get(key);
  if (!credential) {
    credential =
      account.credential === 'managed-identity'
        ? new ManagedIdentityCredential(account.clientId !== undefined ? { clientId: account.clientId } : {})
        : new DefaultAzureCredential(account.clientId !== undefined ? { managedIdentityClientId: account.clientId } : {});
    credentials.set(key, credential);
  }
  return credential;
}

/** The blob service of the account, with the bounded retries of storage-options.ts. */
export function blobService(account: StorageAccount): BlobServiceClient {
  return account.kind === 'connection-string'
    ? BlobServiceClient.fromConnectionString(account.connectionString, BLOB_CLIENT_OPTIONS)
    : new BlobServiceClient(account.blobUrl, storageCredential(account), BLOB_CLIENT_OPTIONS);
}

/** The queue service of the account, with the bounded retries of storage-options.ts. */
export function queueService(account: StorageAccount): QueueServiceClient {
  return account.kind === 'connection-string'
    ? QueueServiceClient.fromConnectionString(account.connectionString, QUEUE_CLIENT_OPTIONS)
    : new QueueServiceClient(account.queueUrl, storageCredential(account), QUEUE_CLIENT_OPTIONS);
}
