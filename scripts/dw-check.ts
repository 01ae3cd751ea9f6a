// npm run dw:check — runs the quality catalogue (shared/quality/catalogue.ts) now against the
// configured warehouse and source (DW_CONNECTION_STRING, OLTP_CONNECTION_STRING), records the
// results in etl.quality_result (run id null), prints one line per check and a summary, and exits
// 1 when a blocking check fails or cannot run (warnings only print). --json prints JSON instead.
import { loadSettings } from '../shared/config/settings.js';
import { checkWarehouseNow } from '../shared/quality/check-now.js';
import { formatQualityTable } from '../shared/quality/report.js';
import { qualityExitCode } from '../shared/quality/runner.js';
import { openMigrated, parseCliArgs, runCli } from './cli.js';

runCli(async () => {
  const { values } = parseCliArgs({ json: { type: 'boolean', default: false } });
  const settings = loadSettings();
  const dw = await openMigrated('dw');
  try {
    const oltp = await openMigrated('oltp');
    try {
      const results = await checkWarehouseNow(dw.db, oltp.db, settings);
      if (values.json) console.log(JSON.stringify({ warehouse: dw.description, source: oltp.description, results }, null, 2));
      else console.log(`Quality checks on ${dw.description} (source ${oltp.description})\n\n${formatQualityTable(results)}`);
      return qualityExitCode(results);
    } finally {
      await oltp.close();
    }
  } finally {
    await dw.close();
  }
});
