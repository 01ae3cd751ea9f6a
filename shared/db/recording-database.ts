// A Database for the SQL Server engine that sends nothing: every statement the code runs is
// compiled to T-SQL by Kysely's MssqlAdapter and recorded, answered by a script (see
// offline-compile.ts), and bulk loads are recorded as a readable pseudo-statement. The pipeline
// runs on it unchanged, which is how `npm run sql:emit` writes the golden T-SQL of every
// statement a run sends (sql/generated/statements/).
import type { CompiledQuery } from 'kysely';
import type { Database, TableSpec } from './database.js';
import { scriptedKysely, type ScriptedAnswer } from './offline-compile.js';
import { bulkIdentity, statementIdentity } from './statement-identity.js';

export interface RecordedStatement {
  /** see statement-identity.ts */
  identity: string;
  /** the T-SQL text, or the bulk-copy pseudo-statement */
  sql: string;
  parameters: readonly unknown[];
  /** the innermost application function that sent it, e.g. `acquireLease (shared/pipeline/lease.ts)` */
  caller: string;
  /** absent for a bulk copy */
  compiled?: CompiledQuery;
}

/**
 * The innermost named function of the calling stack that belongs to the application (not Kysely,
 * not this file, not the engine seam). Async stack traces make it visible across the awaits in between.
 */
function applicationCaller(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 100;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n')) {
    const frame = /at (?:async )?([\w$.]+) \((?:file:\/\/)?.*?\/((?:shared|functions)\/[^:]+)/.exec(line);
    if (frame && !frame[2]!.startsWith('shared/db/')) return `${frame[1]} (${frame[2]})`;
  }
  return '(unknown caller)';
}

/** The pseudo-statement of a bulk load: SQL Server's bulk copy API takes no SQL text. */
const bulkStatement = (table: TableSpec) =>
  `-- bulk copy into [${table.schema}].[${table.name}] (${table.columns.map((c) => `${c.name} ${c.kind}`).join(', ')})`;

/** A Database whose statements land in `out` and whose results come from `script` (undefined: one empty row). */
export function recordingDatabase(out: RecordedStatement[], script: (statement: RecordedStatement) => ScriptedAnswer | undefined): Database {
  const db = scriptedKysely('mssql', (compiled) => {
    const statement = {
      identity: statementIdentity(compiled.query),
      sql: compiled.sql,
      parameters: compiled.parameters,
      caller: applicationCaller(),
      compiled,
    };
    out.push(statement);
    return script(statement);
  });
  return {
    engine: 'mssql',
    description: 'recording (T-SQL, nothing sent)',
    db,
    async bulkInsert(table, rows) {
      let count = 0;
      for await (const _ of rows) count++;
      out.push({ identity: bulkIdentity(table), sql: bulkStatement(table), parameters: [], caller: applicationCaller() });
      return count;
    },
    close: () => db.destroy(),
  };
}
