// npm run import:superstore -- <file.csv|file.csv.gz> [--at ISO-timestamp]
// Imports the Tableau "Sample - Superstore" order lines into the OLTP (OLTP_CONNECTION_STRING),
// migrating it first, and prints a report. All or nothing; a second run of the same file is
// refused ("already imported").
import { resolve } from 'node:path';
import { formatImportReport, importSuperstore, SuperstoreImportError } from '../shared/import/superstore.js';
import { openMigrated, parseCliArgs, runCli, UsageError } from './cli.js';

const USAGE = 'usage: npm run import:superstore -- <file.csv|file.csv.gz> [--at ISO-timestamp]';

runCli(async () => {
  const { values, positionals } = parseCliArgs({ at: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(USAGE);
  let at: Date | undefined;
  if (values.at !== undefined) {
    at = new Date(values.at);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.at) || Number.isNaN(at.getTime())) throw new UsageError(`--at: not an ISO-8601 timestamp: '${values.at}'`);
  }
  // npm runs scripts from the package root; resolve the path from where the user typed it.
  const path = resolve(process.env.INIT_CWD ?? process.cwd(), positionals[0]!);
  const database = await openMigrated('oltp');
  try {
    console.log(`Importing ${path} into ${database.description}`);
    const report = await importSuperstore(database, path, { at, log: (m) => console.log(`  ${m}`) });
    console.log(formatImportReport(report));
    return 0;
  } catch (e) {
    if (e instanceof SuperstoreImportError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  } finally {
    await database.close();
  }
});
