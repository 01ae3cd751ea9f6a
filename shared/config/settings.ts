// Application settings, read once from environment variables. The names are the ones Azure
// Functions app settings and local.settings.json "Values" use, so the same code runs locally
// and on Azure. Every setting is documented in local.settings.example.json and README.md, but the
// identity-based storage settings, which only Azure uses: docs/azure-settings.md.
//
// Locally every setting has a zero-setup default (embedded PGlite, the Azurite emulator). In
// Azure (WEBSITE_SITE_NAME set, see azure.ts) those defaults are errors: a deployment that forgot
// a setting stops at start naming it, instead of running on an empty embedded database.
import { z } from 'zod';
import { CONNECTION_FORMATS, ConnectionStringError, parseConnectionString, type ConnectionTarget } from '../db/connection-string.js';
import { IDENTITY_STORAGE_SETTINGS, StorageSettingsError, storageAccount, type StorageAccount } from '../storage/storage-account.js';
import { azureSettingProblems, runningInAzure } from './azure.js';

const connection = (name: string, fallback: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx): ConnectionTarget => {
      try {
        return parseConnectionString(v === undefined || v.trim() === '' ? fallback : v);
      } catch (e) {
        const why = e instanceof ConnectionStringError ? e.message : 'cannot be parsed';
        ctx.addIssue({ code: 'custom', message: `${why}; expected ${CONNECTION_FORMATS}` });
        return z.NEVER;
      }
    })
    .describe(name);

const intSetting = (fallback: number, min: number, max: number, unit: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(fallback) : v.trim()))
    .pipe(
      z
        .string()
        .regex(/^\d+$/, `expected a whole number of ${unit}`)
        .transform(Number)
        .pipe(z.number().min(min, `expected at least ${min} ${unit}`).max(max, `expected at most ${max} ${unit}`)),
    );

/** 'YYYY-MM-DD' as 00:00 UTC, or null; the round trip refuses dates JavaScript rolls over (2026-02-30 would be 2026-03-02). */
const utcDay = (v: string): Date | null => {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
  return Number.isNaN(ms) || !new Date(ms).toISOString().startsWith(v) ? null : new Date(ms);
};

const dateSetting = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : v.trim()))
    .refine((v) => utcDay(v) !== null, { message: 'expected a date as YYYY-MM-DD, e.g. 2000-01-01' })
    .transform((v) => utcDay(v)!);

/** An optional text setting: trimmed, blank = unset. */
const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The identity-based storage settings (storage-account.ts checks how they combine). */
const identityStorage = Object.fromEntries(IDENTITY_STORAGE_SETTINGS.map((name) => [name, optionalText()])) as Record<
  (typeof IDENTITY_STORAGE_SETTINGS)[number],
  ReturnType<typeof optionalText>
>;

const schema = z.object({
  OLTP_CONNECTION_STRING: connection('OLTP_CONNECTION_STRING', 'pglite:.data/local'),
  DW_CONNECTION_STRING: connection('DW_CONNECTION_STRING', 'pglite:.data/local'),
  /** a connection string; unset with no identity-based settings: 'UseDevelopmentStorage=true' (loadSettings fills it in) */
  AzureWebJobsStorage: optionalText().refine(
    (v) => v === undefined || v === 'UseDevelopmentStorage=true' || /(^|;)\s*(AccountName|BlobEndpoint)\s*=/i.test(v),
    {
      message:
        "expected 'UseDevelopmentStorage=true' or an Azure Storage connection string (DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...), " +
        'or nothing with the identity-based AzureWebJobsStorage__accountName',
    },
  ),
  ...identityStorage,
  APPLICATIONINSIGHTS_CONNECTION_STRING: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
    .refine((v) => v === undefined || /(^|;)\s*InstrumentationKey\s*=\s*[0-9a-f-]{36}/i.test(v), {
      message: 'expected an Application Insights connection string (InstrumentationKey=<guid>;IngestionEndpoint=...) or nothing',
    }),
  /** NCRONTAB (6 fields, UTC) for the daily extract timer */
  EXTRACT_SCHEDULE: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? '0 0 3 * * *' : v.trim()))
    .refine((v) => v.split(/\s+/).length === 6, { message: "expected an NCRONTAB expression with 6 fields, e.g. '0 0 3 * * *' (03:00 UTC daily)" }),
  /** NCRONTAB (6 fields, UTC) of the watchdog timer that recovers a run found dead (its lease expired without a heartbeat) */
  WATCHDOG_SCHEDULE: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? '0 */10 * * * *' : v.trim()))
    .refine((v) => v.split(/\s+/).length === 6, { message: "expected an NCRONTAB expression with 6 fields, e.g. '0 */10 * * * *' (every 10 minutes)" }),
  // re-read window before the watermark: catches rows committed late with an earlier updated_at
  EXTRACT_OVERLAP_MINUTES: intSetting(60, 0, 7 * 24 * 60, 'minutes'),
  EXTRACT_SAFETY_LAG_SECONDS: intSetting(60, 0, 24 * 3600, 'seconds'),
  EXTRACT_PART_MAX_ROWS: intSetting(50_000, 1, 10_000_000, 'rows'),
  /** entities extracted at once on PostgreSQL and SQL Server (each holds one source connection); PGlite extracts one at a time */
  EXTRACT_CONCURRENCY: intSetting(3, 1, 5, 'entities'),
  EXTRACT_PART_MAX_BYTES: intSetting(16 * 1024 * 1024, 1024, 1024 * 1024 * 1024, 'bytes'),
  BLOB_CONTAINER: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 'raw' : v.trim()))
    .refine((v) => /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(v), {
      message: 'expected a blob container name (3-63 lowercase letters, digits, single hyphens)',
    }),
  /** a load fails when more than this share of an entity's rows is rejected (quarantined) */
  REJECT_THRESHOLD_PERCENT: intSetting(5, 0, 100, 'percent'),
  // renewed by a heartbeat every third of it while a step works, so it only expires for a dead run:
  // 5 minutes survives two missed beats (a database blip) and recovers a dead run within minutes
  RUN_LEASE_MINUTES: intSetting(5, 1, 24 * 60, 'minutes'),
  /** the longest window one POST /api/backfill may re-extract */
  BACKFILL_MAX_DAYS: intSetting(92, 1, 3660, 'days'),
  /** no POST /api/backfill window may start before this date: older ones are typos (0000-01-01), not history */
  BACKFILL_MIN_DATE: dateSetting('2000-01-01'),
  /** a source transaction open longer than this holds the extract window back: say so in the run report and logs */
  EXTRACT_OPEN_TRANSACTION_WARN_MINUTES: intSetting(60, 1, 7 * 24 * 60, 'minutes'),
  /** row contracts: a source date before this day is a data error, not history */
  SOURCE_DATE_MIN: dateSetting('2000-01-01'),
  /** row contracts: a source date more than this far after the extract's end is a data error */
  SOURCE_DATE_MAX_FUTURE_HOURS: intSetting(24, 0, 366 * 24, 'hours'),
  /** a fact step with at least this many staged rows checks its foreign keys in one pass before commit instead of row by row (0: always) */
  BULK_FK_MIN_ROWS: intSetting(20_000, 0, 1_000_000_000, 'rows'),
  /** quality: warn when more than this share of a fact table's rows points at a dimension's unknown member */
  QUALITY_UNKNOWN_SHARE_WARN_PERCENT: intSetting(1, 0, 100, 'percent'),
  /** quality: warn when a fact row has pointed at an unknown member for longer than this */
  QUALITY_UNKNOWN_AGE_WARN_DAYS: intSetting(7, 0, 3660, 'days'),
  /** quality: warn when a day's loaded volume deviates from the trailing 28-day median by more than this */
  QUALITY_VOLUME_DEVIATION_WARN_PERCENT: intSetting(50, 1, 10_000, 'percent'),
  /** quality: warn when the newest watermark is older than this behind the source clock (26 h: a missed daily run) */
  QUALITY_FRESHNESS_WARN_MINUTES: intSetting(26 * 60, 1, 366 * 24 * 60, 'minutes'),
  /**
   * Teams Workflows webhook that receives a card when a run fails for good; '' (the default): no Teams alert.
   * A secret (its query carries the flow's signature). Checked by the notifier, which warns and skips the
   * post when it is not https, rather than refusing to start the app over an optional alert.
   */
  ALERT_TEAMS_WEBHOOK_URL: z
    .string()
    .default('')
    .transform((v) => v.trim()),
});

export type Settings = z.output<typeof schema> & {
  /** WEBSITE_SITE_NAME is set: the app runs in Azure (no embedded defaults, no DDL: see azure.ts) */
  inAzure: boolean;
  /** where the blobs and queues live and how the app authenticates there (storage-account.ts) */
  storage: StorageAccount;
};

/** Every setting the app reads, by name (for the deployment checks: each is set by infra/ or has a safe default). */
export const SETTING_NAMES: readonly string[] = Object.keys(schema.shape);

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

/**
 * Reads and validates settings. Throws SettingsError naming each bad setting, never its value:
 * malformed values, a storage combination that cannot work, and in Azure a setting left to its
 * local default.
 */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const result = schema.safeParse(env);
  const problems = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`);
  let storage: StorageAccount | undefined;
  try {
    storage = storageAccount(env);
  } catch (e) {
    if (!(e instanceof StorageSettingsError)) throw e;
    problems.push(e.message);
  }
  const inAzure = runningInAzure(env);
  if (inAzure && storage) {
    // a setting already reported as malformed is not reported twice
    const named = (p: string) => p.slice(0, p.indexOf(':'));
    const reported = new Set(problems.map(named));
    problems.push(...azureSettingProblems(env, storage).filter((p) => !reported.has(named(p))));
  }
  if (!result.success || !storage || problems.length > 0) throw new SettingsError(problems);
  const AzureWebJobsStorage = result.data.AzureWebJobsStorage ?? (storage.kind === 'connection-string' ? storage.connectionString : undefined);
  return { ...result.data, AzureWebJobsStorage, inAzure, storage };
}
