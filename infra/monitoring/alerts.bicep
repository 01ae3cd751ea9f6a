// Alert rules for the vendas-analytics pipeline, on the custom events the app sends to
// Application Insights (the contract: shared/telemetry/events.ts). One action group that
// e-mails every address in alertEmails (common alert schema), and three log search alerts
// whose KQL lives in queries/*.kql. What ops receive and how to query a run: docs/monitoring.md.
//
// Azure Verified Modules, pinned to explicit versions of the public Bicep registry:
//   avm/res/insights/action-group          0.8.0
//   avm/res/insights/scheduled-query-rule  0.6.0
metadata name = 'vendas-analytics monitoring'
metadata description = 'Action group and log search alert rules for the vendas-analytics pipeline.'

@description('Location of the alert rules (usually the Application Insights component\'s region). The action group is global.')
param location string = resourceGroup().location

@description('Resource id of the Application Insights component the app sends its telemetry to: the scope of every alert rule.')
param appInsightsId string

@description('E-mail addresses that receive the alerts, one e-mail receiver each.')
@minLength(1)
param alertEmails string[]

@description('Prefix of every resource name, e.g. vendas-prod.')
@minLength(1)
@maxLength(40)
param namePrefix string

@description('Tags of every resource.')
param tags object = {}

@description('Whether the alert rules are evaluated. false deploys them disabled (for example in a test environment).')
param enabled bool = true

@description('Short name of the action group (at most 12 characters): the sender name shown in SMS and some e-mail clients.')
@maxLength(12)
param actionGroupShortName string = 'vendas-ops'

@description('Severity of the run-failed and daily-run-missing alerts (0 = critical ... 4 = verbose).')
@minValue(0)
@maxValue(4)
param severity int = 1

@description('Severity of the poison-message and quality-gate alert.')
@minValue(0)
@maxValue(4)
param qualitySeverity int = 2

@description('Send the AVM modules\' usage telemetry deployment.')
param enableAvmTelemetry bool = true

// What each e-mail links to, as a custom property of the alert payload.
var runbook = 'docs/monitoring.md in the vendas-analytics repository'

// A dimension per column the rule splits by: one alert per distinct combination of values.
var runFailedDimensions = ['runId', 'job', 'step', 'entity', 'error']
var poisonOrQualityDimensions = ['event', 'job', 'runId', 'queue', 'check', 'detail']

module actionGroup 'br/public:avm/res/insights/action-group:0.8.0' = {
  name: take('${namePrefix}-alerts-action-group', 64)
  params: {
    name: '${namePrefix}-pipeline-ops'
    groupShortName: actionGroupShortName
    location: 'global'
    enabled: true
    tags: tags
    enableTelemetry: enableAvmTelemetry
    emailReceivers: [
      for (email, i) in alertEmails: {
        name: 'email-${i}'
        emailAddress: email
        useCommonAlertSchema: true
      }
    ]
  }
}

// (a) A run failed for good: one alert, so one e-mail, per failed run (split by runId).
// Stateless (autoMitigate false): no "resolved" e-mail follows, a failed run stays failed.
module runFailedAlert 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = {
  name: take('${namePrefix}-alert-run-failed', 64)
  params: {
    name: '${namePrefix}-run-failed'
    alertDisplayName: 'vendas-analytics: pipeline run failed'
    alertDescription: 'A pipeline run failed for good (PipelineRunFailed). The dimensions name the run, job, step, entity and error. Query: infra/monitoring/queries/run-failed.kql.'
    location: location
    tags: tags
    enabled: enabled
    kind: 'LogAlert'
    severity: severity
    scopes: [appInsightsId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT10M'
    autoMitigate: false
    enableTelemetry: enableAvmTelemetry
    criterias: {
      allOf: [
        {
          query: loadTextContent('queries/run-failed.kql')
          timeAggregation: 'Count'
          dimensions: [
            for dimension in runFailedDimensions: {
              name: dimension
              operator: 'Include'
              values: ['*']
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroupResourceIds: [actionGroup.outputs.resourceId]
      customProperties: {
        runbook: runbook
      }
    }
  }
}

// (b) No daily-elt run succeeded in the last 26 hours. The query returns one row even when
// there are no events at all, so this fires when the app is dead too. The rule's window is two
// days (P2D, the longest a log search alert allows) and the query narrows it to the last 26 hours
// with ago(26h): a day plus two hours of slack for a late or slow daily run. Stateful (autoMitigate true): one e-mail when it fires, one when
// a daily run succeeds again, rather than one every hour.
module dailyRunMissingAlert 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = {
  name: take('${namePrefix}-alert-daily-run-missing', 64)
  params: {
    name: '${namePrefix}-daily-run-missing'
    alertDisplayName: 'vendas-analytics: no successful daily run in 26 hours'
    alertDescription: 'No PipelineRunSucceeded with job daily-elt in the last 26 hours: the daily run failed, did not start, or the app sends no telemetry. Query: infra/monitoring/queries/daily-run-missing.kql.'
    location: location
    tags: tags
    enabled: enabled
    kind: 'LogAlert'
    severity: severity
    scopes: [appInsightsId]
    evaluationFrequency: 'PT1H'
    windowSize: 'P2D'
    autoMitigate: true
    enableTelemetry: enableAvmTelemetry
    criterias: {
      allOf: [
        {
          query: loadTextContent('queries/daily-run-missing.kql')
          timeAggregation: 'Total'
          metricMeasureColumn: 'successes'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroupResourceIds: [actionGroup.outputs.resourceId]
      customProperties: {
        runbook: runbook
      }
    }
  }
}

// (c) A queue message went to its poison queue, or a blocking quality check failed: one alert
// per event (split by event, runId, queue, check and detail: the error, or a check's observed and
// expected values).
module poisonOrQualityGateAlert 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = {
  name: take('${namePrefix}-alert-poison-or-quality-gate', 64)
  params: {
    name: '${namePrefix}-poison-or-quality-gate'
    alertDisplayName: 'vendas-analytics: poison message or quality gate failed'
    alertDescription: 'A queue message went to its poison queue (PipelineMessagePoisoned) or a blocking quality check failed (QualityGateFailed). Query: infra/monitoring/queries/poison-or-quality-gate.kql.'
    location: location
    tags: tags
    enabled: enabled
    kind: 'LogAlert'
    severity: qualitySeverity
    scopes: [appInsightsId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT10M'
    autoMitigate: false
    enableTelemetry: enableAvmTelemetry
    criterias: {
      allOf: [
        {
          query: loadTextContent('queries/poison-or-quality-gate.kql')
          timeAggregation: 'Count'
          dimensions: [
            for dimension in poisonOrQualityDimensions: {
              name: dimension
              operator: 'Include'
              values: ['*']
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroupResourceIds: [actionGroup.outputs.resourceId]
      customProperties: {
        runbook: runbook
      }
    }
  }
}

@description('Resource id of the action group (to attach more alert rules to it).')
output actionGroupResourceId string = actionGroup.outputs.resourceId

@description('Resource ids of the three alert rules.')
output alertRuleResourceIds string[] = [
  runFailedAlert.outputs.resourceId
  dailyRunMissingAlert.outputs.resourceId
  poisonOrQualityGateAlert.outputs.resourceId
]
