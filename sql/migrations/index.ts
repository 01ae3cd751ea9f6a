// Versioned migrations per database. Add a new file with the next number; never edit one that
// has shipped (the runner records applied names and skips them).
import type { Migration } from 'kysely/migration';
import * as oltp0001 from './oltp/0001_oltp_schema.js';
import * as oltp0002 from './oltp/0002_reconciliation_statistics.js';
import * as dw0001 from './dw/0001_etl_control.js';
import * as dw0002 from './dw/0002_dimensions.js';
import * as dw0003 from './dw/0003_staging.js';
import * as dw0004 from './dw/0004_facts.js';
import * as dw0005 from './dw/0005_run_warnings.js';
import * as dw0006 from './dw/0006_staging_for_copy.js';
import * as dw0007 from './dw/0007_sales_staging.js';
import * as dw0008 from './dw/0008_quality.js';
import * as dw0009 from './dw/0009_discount_rekey_indexes.js';
import * as dw0010 from './dw/0010_fact_run_indexes.js';
import * as dw0011 from './dw/0011_quality_indexes.js';
import * as dw0012 from './dw/0012_kpi_views.js';
import * as dw0013 from './dw/0013_kpi_views_speed.js';
import * as dw0014 from './dw/0014_sales_order_counters.js';

export type DatabaseRole = 'oltp' | 'dw';

export const MIGRATIONS: Record<DatabaseRole, Record<string, Migration>> = {
  oltp: {
    '0001_oltp_schema': oltp0001,
    '0002_reconciliation_statistics': oltp0002,
  },
  dw: {
    '0001_etl_control': dw0001,
    '0002_dimensions': dw0002,
    '0003_staging': dw0003,
    '0004_facts': dw0004,
    '0005_run_warnings': dw0005,
    '0006_staging_for_copy': dw0006,
    '0007_sales_staging': dw0007,
    '0008_quality': dw0008,
    '0009_discount_rekey_indexes': dw0009,
    '0010_fact_run_indexes': dw0010,
    '0011_quality_indexes': dw0011,
    '0012_kpi_views': dw0012,
    '0013_kpi_views_speed': dw0013,
    '0014_sales_order_counters': dw0014,
  },
};
