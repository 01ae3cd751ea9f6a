// Running in Azure versus on a developer's machine. The platform sets WEBSITE_SITE_NAME (the
// app's name) in every Functions and App Service process, and nobody sets it locally, so it is
// the switch that turns the zero-setup defaults off: in Azure an embedded database or the storage
// emulator is a missing setting, not a default, and the app never runs DDL (migrations are a
// deploy step). It is a platform variable, not an app setting: infra never sets it.
import type { StorageAccount } from '../storage/storage-account.js';

/** True when the process runs in Azure (WEBSITE_SITE_NAME set and not blank). */
export function runningInAzure(env: Record<string, string | undefined> = process.env): boolean {
  return (env.WEBSITE_SITE_NAME ?? '').trim() !== '';
}

const DATABASE_SETTINGS = ['OLTP_CONNECTION_STRING', 'DW_CONNECTION_STRING'] as const;

/**
 * What the zero-setup defaults would silently fill in, refused in Azure: one problem per
 * setting, 'NAME: why', never the value. `storage` is what the storage settings resolved to.
 */
export function azureSettingProblems(env: Record<string, string | undefined>, storage: StorageAccount): string[] {
  const problems: string[] = [];
  for (const name of DATABASE_SETTINGS) {
    const value = (env[name] ?? '').trim();
    if (value === '')
      problems.push(
        `${name}: is required when running in Azure (WEBSITE_SITE_NAME is set); the embedded default is for local development only: ` +
          'set a PostgreSQL URL or an Azure SQL connection string',
      );
    else if (value.toLowerCase().startsWith('pglite:'))
      problems.push(`${name}: names an embedded PGlite database, which cannot run in Azure; set a PostgreSQL URL or an Azure SQL connection string`);
  }
  if (storage.kind === 'connection-string' && storage.development)
    problems.push(
      (env.AzureWebJobsStorage ?? '').trim() === ''
        ? 'AzureWebJobsStorage: is required when running in Azure (WEBSITE_SITE_NAME is set): set AzureWebJobsStorage__accountName ' +
            '(identity-based, see docs/azure-settings.md) or a storage connection string'
        : 'AzureWebJobsStorage: names the local storage emulator, which does not exist in Azure; set AzureWebJobsStorage__accountName ' +
            '(identity-based, see docs/azure-settings.md) or a storage connection string',
    );
  return problems;
}
