// Compiles SQL text without a server: a Kysely instance whose driver records each statement
// instead of sending it. This is how the T-SQL for SQL Server is produced and checked on machines
// where no SQL Server can run. By default every statement is answered with one empty row; a
// script can answer with chosen rows and affected-row counts instead, so that code which reads a
// result (a lease held or free, a watermark present or not) takes the branch the script picks and
// every branch gets compiled.
import {
  Kysely,
  MssqlAdapter,
  MssqlIntrospector,
  MssqlQueryCompiler,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';
import type { Migration } from 'kysely/migration';

/** What the recording driver answers to one statement. */
export interface ScriptedAnswer {
  rows?: Record<string, unknown>[];
  /** rows an insert, update or delete reports as affected */
  numAffectedRows?: bigint;
}

/** Picks the answer to each recorded statement; undefined = one empty row. */
export type AnswerScript = (query: CompiledQuery) => ScriptedAnswer | undefined;

class RecordingDriver implements Driver {
  constructor(private readonly record: AnswerScript) {}
  async init() {}
  async acquireConnection(): Promise<DatabaseConnection> {
    const { record } = this;
    return {
      async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
        // one empty row by default, so code that reads a count or a max goes on to its next statement
        const answer = record(q) ?? { rows: [{}] };
        return { rows: (answer.rows ?? []) as R[], numAffectedRows: answer.numAffectedRows };
      },
      // eslint-disable-next-line require-yield
      async *streamQuery() {
        throw new Error('not supported offline');
      },
    };
  }
  async beginTransaction() {}
  async commitTransaction() {}
  async rollbackTransaction() {}
  async releaseConnection() {}
  async destroy() {}
}

export type Dialect = 'mssql' | 'postgres';

// Both are untyped (Kysely<any>) by design: they compile the migrations, which see the database
// untyped, and the statements of either schema (the recording database stands for the OLTP and
// the warehouse at once).

/** A Kysely that compiles for `dialect` and appends every statement it would send to `out`. */
export function offlineKysely(dialect: Dialect, out: CompiledQuery[]): Kysely<any> {
  return scriptedKysely(dialect, (q) => {
    out.push(q);
    return undefined;
  });
}

/** A Kysely that compiles for `dialect` and hands every statement it would send to `record`, which answers it. */
export function scriptedKysely(dialect: Dialect, record: AnswerScript): Kysely<any> {
  return new Kysely<any>({
    dialect: {
      createAdapter: () => (dialect === 'mssql' ? new MssqlAdapter() : new PostgresAdapter()),
      createDriver: () => new RecordingDriver(record),
      createIntrospector: (db) => (dialect === 'mssql' ? new MssqlIntrospector(db) : new PostgresIntrospector(db)),
      createQueryCompiler: () => (dialect === 'mssql' ? new MssqlQueryCompiler() : new PostgresQueryCompiler()),
    },
  });
}

/** The SQL statements the given migrations run, in order, for one dialect. */
export async function compileMigrations(migrations: Record<string, Migration>, dialect: Dialect): Promise<{ name: string; statements: string[] }[]> {
  const result: { name: string; statements: string[] }[] = [];
  for (const [name, m] of Object.entries(migrations).sort(([a], [b]) => a.localeCompare(b))) {
    const out: CompiledQuery[] = [];
    await m.up(offlineKysely(dialect, out));
    result.push({ name, statements: out.map((q) => inlineParameters(q, dialect)) });
  }
  return result;
}

/**
 * Replaces the placeholders of a compiled migration statement by SQL literals, so the script can
 * be run by hand. Only for our own migration constants (seed rows such as the unknown members);
 * runtime queries always stay parameterised.
 */
function inlineParameters(q: CompiledQuery, dialect: Dialect): string {
  const literal = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    if (typeof v === 'boolean') return dialect === 'mssql' ? (v ? '1' : '0') : String(v);
    const text = v instanceof Date ? v.toISOString().replace('T', ' ').replace('Z', '') : String(v);
    return `${dialect === 'mssql' ? 'N' : ''}'${text.replace(/'/g, "''")}'`;
  };
  const placeholder = dialect === 'mssql' ? /@(\d+)/g : /\$(\d+)/g;
  return q.sql.replace(placeholder, (_m, n: string) => literal(q.parameters[Number(n) - 1]));
}

/** A deployable script: statements separated by GO for SQL Server, by ';' for PostgreSQL. */
export function renderScript(compiled: { name: string; statements: string[] }[], dialect: Dialect): string {
  const sep = dialect === 'mssql' ? '\nGO\n' : ';\n';
  const header =
    `-- Generated by \`npm run sql:emit\` from sql/migrations; do not edit by hand.\n-- Dialect: ${dialect === 'mssql' ? 'SQL Server / Azure SQL (T-SQL)' : 'PostgreSQL'}\n` +
    // literal timestamps in the script are UTC
    (dialect === 'postgres' ? "SET TIME ZONE 'UTC';\n" : '');
  return header + compiled.map((c) => `\n-- migration ${c.name}\n` + c.statements.map((s) => s.replace(/;\s*$/, '') + sep).join('')).join('');
}
