// Every KPI statement for every combination of filters (not only the shapes of the golden file,
// sql/generated/statements/kpi.mssql.sql) compiles to T-SQL with nothing PostgreSQL-only and binds
// every filter value as a parameter, never as text. SQL Server cannot run here: the statements are
// compiled offline by Kysely's MssqlAdapter (shared/db/recording-database.ts).
import { KPI_AREAS, type KpiFilters } from '../../shared/kpi/contract.js';
import { filterOptions, kpiAnswer } from '../../shared/kpi/queries.js';
import { recordingDatabase, type RecordedStatement } from '../../shared/db/recording-database.js';

const VALUES: Required<KpiFilters> = { from: '2031-01-02', to: '2031-12-30', categoria: 987_001, estado: 'TO', vendedor: 987_002, campanha: 987_003 };
const NAMES = Object.keys(VALUES) as (keyof KpiFilters)[];

/** All 64 subsets of the six filters. */
const subsets = (): KpiFilters[] =>
  Array.from({ length: 2 ** NAMES.length }, (_, mask) => Object.fromEntries(NAMES.filter((_, i) => mask & (1 << i)).map((n) => [n, VALUES[n]])) as KpiFilters);

describe('KPI statements on SQL Server', () => {
  it('compile for every filter combination and area, without PostgreSQL-only syntax, values only as parameters', async () => {
    const recorded: RecordedStatement[] = [];
    // every view answers one empty row: each filter names something and every query of an answer runs
    const database = recordingDatabase(recorded, (s) => (s.identity.startsWith('select dw.vw_') ? { rows: [{}] } : { rows: [] }));
    try {
      for (const area of KPI_AREAS) for (const filters of subsets()) await kpiAnswer(database.db, area, filters, { QUALITY_FRESHNESS_WARN_MINUTES: 60 });
      await filterOptions(database.db);
    } finally {
      await database.close();
    }
    expect(recorded.length).toBeGreaterThan(64 * 3 * 5);
    const offenders = recorded.filter((s) => /\b(true|false)\b(?!")|\blimit\b|::|\$\d|\bilike\b/i.test(s.sql));
    expect(offenders.map((s) => s.sql)).toEqual([]);
    // the filter values travel as parameters: none appears in any statement's text
    const leaked = recorded.filter((s) => Object.values(VALUES).some((v) => s.sql.includes(String(v))));
    expect(leaked.map((s) => s.sql)).toEqual([]);
    const sent = new Set(recorded.flatMap((s) => s.parameters.map(String)));
    for (const v of Object.values(VALUES)) expect(sent).toContain(String(v));
  });
});
