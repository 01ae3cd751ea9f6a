// Identity-based storage: with the Functions host's AzureWebJobsStorage__* settings the app's own
// blob and queue clients authenticate with a token credential of @azure/identity against the
// account's URLs, and no key exists anywhere; a combination that cannot work is a SettingsError.
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { StorageSharedKeyCredential } from '@azure/storage-blob';
import { loadSettings, SettingsError } from '../../shared/config/settings.js';
import { BatchStore } from '../../shared/storage/batch-store.js';
import { QueueSender } from '../../shared/storage/queues.js';
import { storageAccount } from '../../shared/storage/storage-account.js';
import { BLOB_CLIENT_OPTIONS, QUEUE_CLIENT_OPTIONS } from '../../shared/storage/storage-options.js';

const CLIENT_ID = '6c4f1b2e-8d3a-4f0b-9e1d-2a7c5b9e0f13';

/** The credential a queue service client signs with (the queue SDK declares it protected; the blob SDK's is public). */
const credentialOf = (client: unknown): unknown => (client as { credential: unknown }).credential;

/** The clients the pipeline context builds (shared/pipeline/runtime.ts) from these settings. */
function clientsFor(env: Record<string, string>) {
  const settings = loadSettings(env);
  const store = BatchStore.fromStorageAccount(settings.storage, settings.BLOB_CONTAINER);
  const queues = QueueSender.fromStorageAccount(settings.storage);
  return { store, queues, settings };
}

describe('identity-based storage', () => {
  it('with credential=managedidentity and a client id: a ManagedIdentityCredential on the account URLs, no shared key', () => {
    const { store, queues, settings } = clientsFor({
      AzureWebJobsStorage__accountName: 'vendasraw',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: CLIENT_ID,
    });
    expect(store.container.url).toBe('https://vendasraw.blob.core.windows.net/raw');
    expect(queues.service.url).toBe('https://vendasraw.queue.core.windows.net');
    for (const credential of [store.container.credential, credentialOf(queues.service)]) {
      expect(credential).toBeInstanceOf(ManagedIdentityCredential);
      expect(credential).not.toBeInstanceOf(StorageSharedKeyCredential);
      expect(typeof (credential as ManagedIdentityCredential).getToken).toBe('function');
    }
    // one credential per process for one identity: its token cache serves every invocation
    expect(store.container.credential).toBe(credentialOf(queues.service));
    // no key: the settings hold none and the app wrote no connection string for itself
    expect(settings.AzureWebJobsStorage).toBeUndefined();
    expect(JSON.stringify(settings.storage)).not.toMatch(/AccountKey|SharedAccessSignature|sig=/i);
  });

  it('keeps the bounded retry options of storage-options.ts', () => {
    expect(BLOB_CLIENT_OPTIONS.retryOptions?.maxTries).toBe(3);
    expect(QUEUE_CLIENT_OPTIONS.retryOptions?.maxTries).toBe(3);
    const { store } = clientsFor({ AzureWebJobsStorage__accountName: 'vendasraw', AzureWebJobsStorage__credential: 'managedidentity' });
    // the pipeline carries the retry policy built from the options (its name is the SDK's)
    const policies = (
      store.container as unknown as { storageClientContext: { pipeline: { getOrderedPolicies(): { name: string }[] } } }
    ).storageClientContext.pipeline
      .getOrderedPolicies()
      .map((p) => p.name);
    expect(policies).toEqual(expect.arrayContaining([expect.stringMatching(/storageRetryPolicy/i), expect.stringMatching(/bearerTokenAuthenticationPolicy/i)]));
  });

  it('without __credential: DefaultAzureCredential (a developer identity locally), the client id as its managed identity', () => {
    const { store, queues } = clientsFor({ AzureWebJobsStorage__accountName: 'vendasraw', AzureWebJobsStorage__clientId: CLIENT_ID });
    expect(store.container.credential).toBeInstanceOf(DefaultAzureCredential);
    expect(credentialOf(queues.service)).toBeInstanceOf(DefaultAzureCredential);
  });

  it('uses explicit service URIs when given (another cloud, a custom domain)', () => {
    const { store, queues } = clientsFor({
      AzureWebJobsStorage__blobServiceUri: 'https://vendasraw.blob.core.chinacloudapi.cn/',
      AzureWebJobsStorage__queueServiceUri: 'https://vendasraw.queue.core.chinacloudapi.cn',
      AzureWebJobsStorage__credential: 'ManagedIdentity',
    });
    expect(store.container.url).toBe('https://vendasraw.blob.core.chinacloudapi.cn/raw');
    expect(queues.service.url).toBe('https://vendasraw.queue.core.chinacloudapi.cn');
    expect(store.container.credential).toBeInstanceOf(ManagedIdentityCredential);
  });

  it('a connection string still builds a shared-key client (the contrast), and nothing set is the local emulator', () => {
    const { store } = clientsFor({ AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net' });
    expect(store.container.credential).toBeInstanceOf(StorageSharedKeyCredential);
    expect(storageAccount({})).toEqual({ kind: 'connection-string', connectionString: 'UseDevelopmentStorage=true', development: true });
  });

  it.each([
    [{ AzureWebJobsStorage__credential: 'managedidentity' }, /AzureWebJobsStorage__accountName: is required with AzureWebJobsStorage__credential/],
    [{ AzureWebJobsStorage__clientId: CLIENT_ID }, /AzureWebJobsStorage__accountName: is required with AzureWebJobsStorage__clientId/],
    [
      { AzureWebJobsStorage__blobServiceUri: 'https://a.blob.core.windows.net', AzureWebJobsStorage__credential: 'managedidentity' },
      /AzureWebJobsStorage__queueServiceUri: is required/,
    ],
    [
      { AzureWebJobsStorage__accountName: 'acct', AzureWebJobsStorage__credential: 'clientsecret' },
      /AzureWebJobsStorage__credential: expected 'managedidentity'/,
    ],
    [
      { AzureWebJobsStorage__accountName: 'acct', AzureWebJobsStorage__clientId: 'my-identity' },
      /AzureWebJobsStorage__clientId: expected .* client id \(a GUID\)/,
    ],
    [{ AzureWebJobsStorage__accountName: 'Not_An_Account' }, /AzureWebJobsStorage__accountName: expected a storage account name/],
    [
      { AzureWebJobsStorage__blobServiceUri: 'http://a.blob.core.windows.net', AzureWebJobsStorage__queueServiceUri: 'https://a.queue.core.windows.net' },
      /AzureWebJobsStorage__blobServiceUri: expected an https:\/\/ URL/,
    ],
    [
      { AzureWebJobsStorage: 'UseDevelopmentStorage=true', AzureWebJobsStorage__accountName: 'acct' },
      /AzureWebJobsStorage: is set together with AzureWebJobsStorage__accountName: the Functions host would use the connection string/,
    ],
  ])('refuses %j with a SettingsError naming the setting', (env, expected) => {
    let error: unknown;
    try {
      loadSettings(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toMatch(expected);
  });
});
