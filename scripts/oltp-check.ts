// npm run oltp:check — validates the OLTP source (OLTP_CONNECTION_STRING) with the checks of
// shared/oltp/check-catalogue.ts, prints one line per check and a summary, and exits 1 when a
// blocking check fails (warnings only print). --json prints the results as JSON instead of the table.
import { printCheckTable } from '../shared/oltp/check-report.js';
import { checkExitCode, runChecks } from '../shared/oltp/check-runner.js';
import { openMigrated, parseCliArgs, runCli } from './cli.js';

runCli(async () => {
  const { values } = parseCliArgs({ json: { type: 'boolean', default: false } });
  const database = await openMigrated('oltp');
  try {
    const results = await runChecks(database.db);
    if (values.json) console.log(JSON.stringify({ database: database.description, results }, null, 2));
    else {
      console.log(`OLTP checks on ${database.description}\n`);
      printCheckTable(results);
    }
    return checkExitCode(results);
  } finally {
    await database.close();
  }
});
