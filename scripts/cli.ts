// Shared plumbing for the command-line entry points in scripts/: settings, opening the OLTP or
// warehouse database (migrated), and turning known errors into one clear line and exit code 1.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SettingsError } from '../shared/config/settings.js';
import { SeedError } from '../shared/seed/errors.js';
import { parseSeedFlags } from '../shared/seed/options.js';

/** Raised for bad command-line input: printed without a stack trace. */
export class UsageError extends Error {}

/** The OLTP or warehouse database, migrated (in Azure: schema version checked): the same rule the functions use (shared/db/connections.ts). */
export { openMigrated } from '../shared/db/connections.js';

export function parseCliArgs<T extends ParseArgsConfig['options']>(options: T, args = process.argv.slice(2)) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** --scale for commands that seed an empty OLTP: the same rule as `npm run seed`. */
export function scaleFlag(value: string | undefined): number {
  try {
    return parseSeedFlags({ scale: value }, Date.now()).scale;
  } catch (e) {
    throw e instanceof SeedError ? new UsageError(e.message) : e;
  }
}

/** Runs a CLI main function; expected failures print one line, unexpected ones the stack. */
export function runCli(main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (e: unknown) => {
      if (e instanceof SettingsError || e instanceof UsageError) console.error(e.message);
      else if (e instanceof Error && ['DatabaseConnectError', 'MigrationError', 'SchemaVersionError'].includes(e.name)) console.error(e.message);
      else console.error(e);
      process.exit(1);
    },
  );
}
