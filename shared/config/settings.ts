// Application settings, read once from environment variables. The names are the ones Azure
// Functions app settings and local.settings.json "Values" use, so the same code runs locally
// and on Azure. Every setting is documented in local.settings.example.json and README.md.
import { z } from 'zod';
import { CONNECTION_FORMATS, ConnectionStringError, parseConnectionString, type ConnectionTarget } from '../db/connection-string.js';

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

const schema = z.object({
  OLTP_CONNECTION_STRING: connection('OLTP_CONNECTION_STRING', 'pglite:.data/oltp'),
  DW_CONNECTION_STRING: connection('DW_CONNECTION_STRING', 'pglite:.data/dw'),
  AzureWebJobsStorage: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 'UseDevelopmentStorage=true' : v.trim()))
    .refine((v) => v === 'UseDevelopmentStorage=true' || /(^|;)\s*(AccountName|BlobEndpoint)\s*=/i.test(v), {
      message: "expected 'UseDevelopmentStorage=true' or an Azure Storage connection string (DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...)",
    }),
  APPLICATIONINSIGHTS_CONNECTION_STRING: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
    .refine((v) => v === undefined || /(^|;)\s*InstrumentationKey\s*=\s*[0-9a-f-]{36}/i.test(v), {
      message: 'expected an Application Insights connection string (InstrumentationKey=<guid>;IngestionEndpoint=...) or nothing',
    }),
});

export type Settings = z.output<typeof schema>;

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

/** Reads and validates settings. Throws SettingsError naming each bad setting, never its value. */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new SettingsError(
    result.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`),
  );
}
