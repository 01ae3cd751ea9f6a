// Which storage account the app's own blob and queue clients talk to, and how they authenticate:
// the one place that decides "connection string or identity".
//
// The settings follow the Functions host's identity-based connection convention for the
// connection named AzureWebJobsStorage, so the queue triggers (connection: 'AzureWebJobsStorage')
// and the app's own clients use one account and one identity:
//   AzureWebJobsStorage                     a connection string (locally 'UseDevelopmentStorage=true': Azurite)
//   AzureWebJobsStorage__accountName        or, identity-based: the account (https://<name>.blob/.queue.core.windows.net)
//   AzureWebJobsStorage__blobServiceUri     ... or the service URLs themselves (another cloud, a private endpoint name)
//   AzureWebJobsStorage__queueServiceUri
//   AzureWebJobsStorage__credential         'managedidentity': the app's managed identity (ManagedIdentityCredential);
//                                           unset: DefaultAzureCredential (a developer's az login, environment credentials...)
//   AzureWebJobsStorage__clientId           the client id of a user-assigned identity (unset: the system-assigned one)
// Secure deployments disable the account's shared keys, so no key appears in any of these.
//
// This file only decides (settings import it, so it loads no SDK); storage-clients.ts builds the
// clients from its answer.
import { GUID } from '../db/connection-string.js';

/** The identity-based storage settings, in the order the documentation lists them. */
export const IDENTITY_STORAGE_SETTINGS = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__queueServiceUri',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
] as const;

export const DEVELOPMENT_STORAGE = 'UseDevelopmentStorage=true';

export type StorageSettingValues = Partial<Record<'AzureWebJobsStorage' | (typeof IDENTITY_STORAGE_SETTINGS)[number], string | undefined>>;

export type StorageAccount =
  | {
      kind: 'connection-string';
      /** a secret when it holds an account key: never logged */
      connectionString: string;
      /** the local storage emulator (Azurite) */
      development: boolean;
    }
  | {
      kind: 'identity';
      blobUrl: string;
      queueUrl: string;
      /** 'managed-identity': ManagedIdentityCredential; 'default': DefaultAzureCredential */
      credential: 'managed-identity' | 'default';
      /** a user-assigned identity's client id */
      clientId?: string;
    };

/** A bad storage setting: `setting` names it; the message never holds its value. */
export class StorageSettingsError extends Error {
  constructor(
    readonly setting: string,
    why: string,
  ) {
    super(`${setting}: ${why}`);
    this.name = 'StorageSettingsError';
  }
}

const blank = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

function serviceUrl(setting: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StorageSettingsError(setting, 'expected a service URL such as https://<account>.blob.core.windows.net');
  }
  // the SDK refuses a bearer token over plain http; say so now rather than at the first request
  if (url.protocol !== 'https:') throw new StorageSettingsError(setting, 'expected an https:// URL (a token is never sent over plain http)');
  return url.toString().replace(/\/$/, '');
}

/**
 * The account the settings describe. Nothing set: the local emulator (the zero-setup default; in
 * Azure, shared/config/azure.ts refuses it). Throws StorageSettingsError for a combination that
 * cannot work.
 */
export function storageAccount(values: StorageSettingValues): StorageAccount {
  const connectionString = blank(values.AzureWebJobsStorage);
  const identitySet = IDENTITY_STORAGE_SETTINGS.filter((name) => blank(values[name]) !== undefined);
  if (connectionString !== undefined && identitySet.length > 0)
    throw new StorageSettingsError(
      'AzureWebJobsStorage',
      `is set together with ${identitySet.join(', ')}: the Functions host would use the connection string and ignore the identity; set only one of the two`,
    );
  if (identitySet.length === 0) {
    const cs = connectionString ?? DEVELOPMENT_STORAGE;
    return { kind: 'connection-string', connectionString: cs, development: cs === DEVELOPMENT_STORAGE };
  }
  const credentialSetting = blank(values.AzureWebJobsStorage__credential);
  if (credentialSetting !== undefined && credentialSetting.toLowerCase() !== 'managedidentity')
    throw new StorageSettingsError(
      'AzureWebJobsStorage__credential',
      "expected 'managedidentity' (the app's managed identity) or nothing (DefaultAzureCredential)",
    );
  const clientId = blank(values.AzureWebJobsStorage__clientId);
  if (clientId !== undefined && !GUID.test(clientId))
    throw new StorageSettingsError('AzureWebJobsStorage__clientId', "expected a user-assigned identity's client id (a GUID)");
  const accountName = blank(values.AzureWebJobsStorage__accountName);
  if (accountName !== undefined && !ACCOUNT_NAME.test(accountName))
    throw new StorageSettingsError('AzureWebJobsStorage__accountName', 'expected a storage account name (3-24 lowercase letters and digits)');
  const blobUri = blank(values.AzureWebJobsStorage__blobServiceUri);
  const queueUri = blank(values.AzureWebJobsStorage__queueServiceUri);
  const endpoint = (service: 'blob' | 'queue', uri: string | undefined): string => {
    const setting = service === 'blob' ? 'AzureWebJobsStorage__blobServiceUri' : 'AzureWebJobsStorage__queueServiceUri';
    if (uri !== undefined) return serviceUrl(setting, uri);
    if (accountName !== undefined) return `https://${accountName}.${service}.core.windows.net`;
    throw new StorageSettingsError(
      accountName === undefined && blobUri === undefined && queueUri === undefined ? 'AzureWebJobsStorage__accountName' : setting,
      `is required with ${identitySet.join(', ')}: identity-based storage needs AzureWebJobsStorage__accountName, ` +
        'or both AzureWebJobsStorage__blobServiceUri and AzureWebJobsStorage__queueServiceUri',
    );
  };
  return {
    kind: 'identity',
    blobUrl: endpoint('blob', blobUri),
    queueUrl: endpoint('queue', queueUri),
    credential: credentialSetting === undefined ? 'default' : 'managed-identity',
    ...(clientId !== undefined ? { clientId } : {}),
  };
}
