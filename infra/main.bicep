// vendas-analytics on Azure: everything `azd up` provisions (docs/deploy-azure.md).
//
// Subscription scope, the azd convention: the template creates its own resource group
// (rg-<environment>), so `azd up` needs nothing to exist beforehand and `azd down` removes all of it.
//
// What it creates, in the resource group:
//   - a user-assigned managed identity: the app's only credential (storage, Azure SQL, Key Vault
//     references, Application Insights); no key, password or connection string with a secret
//   - a storage account with shared keys disabled: the Functions host's storage, the Flex
//     Consumption deployment container and the `raw` container of the extracted batches
//   - a Log Analytics workspace and a workspace-based Application Insights component
//   - an Azure SQL logical server with Entra-only authentication and the warehouse database
//   - a Flex Consumption plan (FC1) and the Function App (Linux, Node.js 22)
//   - the alert rules and action group of infra/monitoring/alerts.bicep
// The source OLTP database is the company's own: it is not created here. Its connection string is
// a Key Vault secret the company owns; the app reads it through a Key Vault reference with the
// app's identity (the company grants that identity "Key Vault Secrets User" on the vault).
//
// Azure Verified Modules, pinned to exact versions of the public Bicep registry:
//   avm/res/managed-identity/user-assigned-identity  0.4.1
//   avm/res/storage/storage-account                  0.32.0
//   avm/res/operational-insights/workspace           0.12.0
//   avm/res/insights/component                       0.6.0
//   avm/res/sql/server                               0.20.0
//   avm/res/web/serverfarm                           0.5.0
//   avm/res/web/site                                 0.22.0
targetScope = 'subscription'

metadata name = 'vendas-analytics'
metadata description = 'The vendas-analytics Function App (Flex Consumption, Node.js 22), its storage, Azure SQL warehouse, telemetry and alerts.'

// ---------------------------------------------------------------------------------------------
// Parameters (azd fills them from infra/main.parameters.json and the azd environment)
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(40)
@description('Name of the azd environment (AZURE_ENV_NAME), e.g. vendas-dev: names the resource group and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region of every resource (AZURE_LOCATION). It must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the principal running the deployment (AZURE_PRINCIPAL_ID, set by azd): the default SQL Entra administrator.')
param principalId string

@description('Object id of the Entra principal that administers the SQL server (runs the migrations and creates the app\'s database user). Prefer a group holding the deployers and the CI identity. Empty: the deploying principal (principalId).')
param sqlAdminObjectId string = ''

@description('Display name of the SQL Entra administrator (the group\'s or user\'s name; Azure SQL shows it, it need not match exactly). Empty: vendas-sql-admins.')
param sqlAdminLogin string = ''

@description('Kind of the SQL Entra administrator: User, Group or Application (a service principal).')
@allowed([
  'User'
  'Group'
  'Application'
])
param sqlAdminPrincipalType string = 'User'

@description('E-mail addresses that receive the pipeline alerts, comma-separated (OPS_ALERT_EMAILS).')
@minLength(3)
param opsAlertEmails string

@description('Versionless Key Vault secret URI of the source OLTP connection string: the vault\'s URI followed by /secrets/<name>. A pointer, not the secret: the app resolves it with its identity.')
@minLength(1)
param oltpConnectionStringSecretUri string

@description('Optional. Key Vault secret URI of a Teams Workflows webhook URL (ALERT_TEAMS_WEBHOOK_URL). Empty: no Teams alert, e-mail only.')
param alertTeamsWebhookSecretUri string = ''

@description('NCRONTAB (six fields, UTC) of the daily extract timer (EXTRACT_SCHEDULE). Empty: 0 0 3 * * * (03:00 UTC).')
param extractSchedule string = ''

@description('NCRONTAB (six fields, UTC) of the watchdog timer (WATCHDOG_SCHEDULE). Empty: 0 */10 * * * * (every 10 minutes).')
param watchdogSchedule string = ''

@description('Name of the warehouse database.')
param warehouseDatabaseName string = 'vendas-dw'

@description('Most vCores of the serverless warehouse database (General Purpose, Gen5).')
@allowed([
  1
  2
  4
  6
  8
  10
  12
  14
  16
])
param sqlMaxVCores int = 2

@description('Minutes without connections after which the serverless warehouse pauses (-1: never). The first query after a pause waits up to a minute: the app retries it as a transient error.')
param sqlAutoPauseDelayMinutes int = 60

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances the Flex Consumption app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Disable local (instrumentation key) authentication on Application Insights, so only Entra tokens may send telemetry: the host and the app\'s own telemetry client both send with the app identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING). false accepts key-based senders too.')
param appInsightsDisableLocalAuth bool = true

@description('Evaluate the alert rules (false deploys them disabled, e.g. in a throwaway environment).')
param alertsEnabled bool = true

@description('Send the Azure Verified Modules\' usage telemetry deployment.')
param enableAvmTelemetry bool = true

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

// A token unique to the subscription, environment and region keeps global names (storage account,
// SQL server, app host name) free of collisions between environments.
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'vendas-analytics'
}
var resourceGroupName = 'rg-${environmentName}'
// The optional parameters arrive empty when their azd/GitHub variable is not set: their defaults
// live here, once.
var sqlAdministratorObjectId = empty(sqlAdminObjectId) ? principalId : sqlAdminObjectId
var sqlAdministratorLogin = empty(sqlAdminLogin) ? 'vendas-sql-admins' : sqlAdminLogin
var extractTimerSchedule = empty(extractSchedule) ? '0 0 3 * * *' : extractSchedule
var watchdogTimerSchedule = empty(watchdogSchedule) ? '0 */10 * * * *' : watchdogSchedule
var identityName = 'id-vendas-${resourceToken}'
var storageAccountName = 'stvendas${resourceToken}'
var logAnalyticsName = 'log-vendas-${resourceToken}'
var appInsightsName = 'appi-vendas-${resourceToken}'
var sqlServerName = 'sql-vendas-${resourceToken}'
var planName = 'plan-vendas-${resourceToken}'
var functionAppName = 'func-vendas-${resourceToken}'
// The Flex Consumption app's deployment packages (azd deploy uploads there through the platform).
var deploymentContainerName = 'app-package'
// The extracted batches (BLOB_CONTAINER): created here so the app never needs to create it.
var rawContainerName = 'raw'

// Built-in role definition ids (stable across tenants).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------

// The app's identity. User-assigned rather than system-assigned: it exists before the app, so the
// company can grant it Key Vault access, and the post-provision hook its database user, without
// waiting for the app (and they survive re-creating the app).
module appIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  scope: rg
  name: 'app-identity'
  params: {
    name: identityName
    location: location
    tags: tags
    enableTelemetry: enableAvmTelemetry
  }
}

// ---------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------

module storage 'br/public:avm/res/storage/storage-account:0.32.0' = {
  scope: rg
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    tags: tags
    enableTelemetry: enableAvmTelemetry
    kind: 'StorageV2'
    skuName: 'Standard_LRS'
    // Entra ID only: no account key, no SAS signed with one. The host and the app connect with the
    // managed identity (AzureWebJobsStorage__credential = managedidentity).
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        {
          name: deploymentContainerName
          publicAccess: 'None'
        }
        {
          name: rawContainerName
          publicAccess: 'None'
        }
      ]
    }
    roleAssignments: [
      // Blob: the host's own blobs (timer schedule monitor, leases), the deployment package and
      // the extracted batches (write, read, lease). The Functions host needs Owner on its storage.
      {
        principalId: appIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionIdOrName: roles.storageBlobDataOwner
      }
      // Queue: the load and retry queues (send, receive, delete, create, poison queues).
      {
        principalId: appIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionIdOrName: roles.storageQueueDataContributor
      }
    ]
  }
}

// ---------------------------------------------------------------------------------------------
// Telemetry
// ---------------------------------------------------------------------------------------------

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.12.0' = {
  scope: rg
  name: 'log-analytics'
  params: {
    name: logAnalyticsName
    location: location
    tags: tags
    enableTelemetry: enableAvmTelemetry
    dataRetention: 30
  }
}

module appInsights 'br/public:avm/res/insights/component:0.6.0' = {
  scope: rg
  name: 'app-insights'
  params: {
    name: appInsightsName
    location: location
    tags: tags
    enableTelemetry: enableAvmTelemetry
    workspaceResourceId: logAnalytics.outputs.resourceId
    applicationType: 'web'
    retentionInDays: 90
    disableLocalAuth: appInsightsDisableLocalAuth
    roleAssignments: [
      // Entra-authenticated ingestion (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
      {
        principalId: appIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionIdOrName: roles.monitoringMetricsPublisher
      }
    ]
  }
}

// ---------------------------------------------------------------------------------------------
// Warehouse (Azure SQL)
// ---------------------------------------------------------------------------------------------

module sqlServer 'br/public:avm/res/sql/server:0.20.0' = {
  scope: rg
  name: 'sql-server'
  params: {
    name: sqlServerName
    location: location
    tags: tags
    enableTelemetry: enableAvmTelemetry
    // Entra-only: no SQL logins, no password anywhere. The administrator runs the migrations and
    // creates the app's contained database user (infra/hooks/postprovision.sh).
    administrators: {
      azureADOnlyAuthentication: true
      login: sqlAdministratorLogin
      sid: sqlAdministratorObjectId
      principalType: sqlAdminPrincipalType
      tenantId: tenant().tenantId
    }
    minimalTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    // Flex Consumption without a virtual network has no fixed outbound addresses: allow Azure
    // services (the 0.0.0.0 rule). Authentication stays Entra-only. The post-provision hook opens
    // the deployer's own address for its run and closes it again.
    firewallRules: [
      {
        name: 'AllowAllWindowsAzureIps'
        startIpAddress: '0.0.0.0'
        endIpAddress: '0.0.0.0'
      }
    ]
    databases: [
      {
        name: warehouseDatabaseName
        // Serverless General Purpose: the daily load is a burst, the KPI API light.
        sku: {
          name: 'GP_S_Gen5'
          tier: 'GeneralPurpose'
          family: 'Gen5'
          capacity: sqlMaxVCores
        }
        autoPauseDelay: sqlAutoPauseDelayMinutes
        minCapacity: '0.5'
        maxSizeBytes: 34359738368
        zoneRedundant: false
        requestedBackupStorageRedundancy: 'Local'
        collation: 'SQL_Latin1_General_CP1_CI_AS'
      }
    ]
  }
}

// ---------------------------------------------------------------------------------------------
// Function App (Flex Consumption)
// ---------------------------------------------------------------------------------------------

module plan 'br/public:avm/res/web/serverfarm:0.5.0' = {
  scope: rg
  name: 'plan'
  params: {
    name: planName
    location: location
    tags: tags
    enableTelemetry: enableAvmTelemetry
    skuName: 'FC1'
    reserved: true
    zoneRedundant: false
  }
}

// The app settings, one by one. The settings the app reads are listed in shared/config/settings.ts
// (SETTING_NAMES); those not set here keep their documented defaults (README, Settings), which
// tests/infra/settings-coverage.test.ts checks. No value here is a secret: secrets are Key Vault
// references resolved by the platform with the app's identity, and every other connection is
// identity-based.
var appSettings = {
  // The host's storage and the app's own blob and queue clients (shared/storage/storage-account.ts):
  // identity-based, no connection string.
  AzureWebJobsStorage__accountName: storage.outputs.name
  // The service URLs too, built with this cloud's storage suffix (the app would otherwise assume
  // core.windows.net from the account name).
  AzureWebJobsStorage__blobServiceUri: 'https://${storage.outputs.name}.blob.${environment().suffixes.storage}'
  AzureWebJobsStorage__queueServiceUri: 'https://${storage.outputs.name}.queue.${environment().suffixes.storage}'
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: appIdentity.outputs.clientId
  // DefaultAzureCredential picks the user-assigned identity by this client id.
  AZURE_CLIENT_ID: appIdentity.outputs.clientId
  // Not a secret (it identifies where telemetry goes; Microsoft documents it as such); with
  // appInsightsDisableLocalAuth only Entra-authenticated senders are accepted.
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.outputs.connectionString
  // Entra-authenticated ingestion with the app's identity (the host reads it; so does the app's
  // telemetry client, shared/telemetry/aad-credential.ts).
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${appIdentity.outputs.clientId};Authorization=AAD'
  // The company's source database: a Key Vault reference resolved with keyVaultReferenceIdentity.
  OLTP_CONNECTION_STRING: '@Microsoft.KeyVault(SecretUri=${oltpConnectionStringSecretUri})'
  // The warehouse: Entra authentication with the managed identity, no password.
  DW_CONNECTION_STRING: 'Server=tcp:${sqlServer.outputs.fullyQualifiedDomainName},1433;Database=${warehouseDatabaseName};Authentication=Active Directory Managed Identity;User Id=${appIdentity.outputs.clientId};Encrypt=true'
  // The container created above.
  BLOB_CONTAINER: rawContainerName
  // The timers read these as %EXTRACT_SCHEDULE% and %WATCHDOG_SCHEDULE%: the host resolves them
  // from app settings when it indexes the functions, so they must be set (the app's default does
  // not reach the trigger).
  EXTRACT_SCHEDULE: extractTimerSchedule
  WATCHDOG_SCHEDULE: watchdogTimerSchedule
}

// The Teams webhook URL carries its flow's signature: only ever a Key Vault reference, and only
// when one is given.
var teamsAlertAppSettings = empty(alertTeamsWebhookSecretUri)
  ? {}
  : {
      ALERT_TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(SecretUri=${alertTeamsWebhookSecretUri})'
    }

module functionApp 'br/public:avm/res/web/site:0.22.0' = {
  scope: rg
  name: 'function-app'
  params: {
    name: functionAppName
    location: location
    // azd finds the app to deploy service `api` (azure.yaml) to by this tag.
    tags: union(tags, { 'azd-service-name': 'api' })
    enableTelemetry: enableAvmTelemetry
    kind: 'functionapp,linux'
    serverFarmResourceId: plan.outputs.resourceId
    httpsOnly: true
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [appIdentity.outputs.resourceId]
    }
    // Key Vault references (OLTP_CONNECTION_STRING, ALERT_TEAMS_WEBHOOK_URL) resolve with this identity.
    keyVaultAccessIdentityResourceId: appIdentity.outputs.resourceId
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: 'https://${storage.outputs.name}.blob.${environment().suffixes.storage}/${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: appIdentity.outputs.resourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    // No FTP or basic-auth deployment: azd deploys with Entra tokens.
    basicPublishingCredentialsPolicies: [
      {
        name: 'ftp'
        allow: false
      }
      {
        name: 'scm'
        allow: false
      }
    ]
    configs: [
      {
        name: 'appsettings'
        properties: union(appSettings, teamsAlertAppSettings)
      }
    ]
  }
}

// ---------------------------------------------------------------------------------------------
// Alerts (infra/monitoring/alerts.bicep: the action group and the three log search alerts)
// ---------------------------------------------------------------------------------------------

module alerts 'monitoring/alerts.bicep' = {
  scope: rg
  name: 'alerts'
  params: {
    location: location
    appInsightsId: appInsights.outputs.resourceId
    alertEmails: map(split(opsAlertEmails, ','), email => trim(email))
    namePrefix: environmentName
    tags: tags
    enabled: alertsEnabled
    enableAvmTelemetry: enableAvmTelemetry
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs: azd writes them to the environment (.azure/<env>/.env); the post-provision hook and
// the deploy workflow read them.
// ---------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostname}'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_SQL_SERVER_NAME string = sqlServer.outputs.name
output AZURE_SQL_SERVER_FQDN string = sqlServer.outputs.fullyQualifiedDomainName
output AZURE_SQL_DATABASE_NAME string = warehouseDatabaseName
output AZURE_APP_IDENTITY_NAME string = appIdentity.outputs.name
output AZURE_APP_IDENTITY_CLIENT_ID string = appIdentity.outputs.clientId
output AZURE_APP_IDENTITY_PRINCIPAL_ID string = appIdentity.outputs.principalId
output AZURE_APP_INSIGHTS_NAME string = appInsights.outputs.name
