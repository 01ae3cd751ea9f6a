// Warehouse checks defined like the OLTP checks (shared/oltp/check-catalogue.ts): one Kysely
// query selecting the failing units (one row per duplicated key, broken member, wrong fact row),
// so the same definition compiles to PostgreSQL and T-SQL. failingRowsCheck turns it into a
// QualityCheck: one query counts the units (and, per problem, how many have it, for the observed
// text); a second reads up to MAX_SAMPLES of them ordered by their keys.
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { firstRows } from '../db/portable-sql.js';
import type { WarehouseTables } from '../db/schema/index.js';
import { MAX_SAMPLES, sampleKey, type CheckInput, type CheckOutcome, type QualityCheck } from './check.js';

/**
 * Checks over tables and columns chosen when the catalogue is built (which fact, which
 * dimension) assemble their names at run time, which Kysely cannot type: they use the untyped
 * view of the connection, as the OLTP catalogue and the dimension merges do.
 */
export type Untyped = Kysely<any>;

/** One way a unit can fail, counted apart in the observed text. */
export interface Problem {
  /** e.g. 'with overlapping versions' */
  readonly label: string;
  /** over the failing rows, aliased `f` */
  readonly where: (eb: ExpressionBuilder<any, any>) => Expression<SqlBool>;
}

/** A check as one failing-rows query: what every check declares, and how to find its failing units. */
export interface FailingRowsDef extends Pick<QualityCheck, 'name' | 'severity' | 'phase' | 'description' | 'tolerance' | 'tables'> {
  /** the units, in the observed text: '3 duplicated (pedido_id, numero_item)' */
  readonly unit: string;
  readonly expected: string;
  /** columns of failingRows() that identify a unit; samples are ordered by them */
  readonly keys: readonly string[];
  readonly problems?: readonly Problem[];
  /**
   * One row per failing unit, every column uniquely named (it is used as a derived table). With
   * `runId`, only the units that run wrote; without, the whole tables.
   */
  failingRows(db: Kysely<WarehouseTables>, runId: string | undefined): SelectQueryBuilder<any, any, any>;
}

/** A run id for the compiled statements of queries(): only its placeholder reaches the SQL. */
const SOME_RUN = 'run-id';

/** 1 when the condition holds, else 0: a flag column (T-SQL selects no boolean expression). */
export const oneIf = (eb: ExpressionBuilder<any, any>, condition: Expression<SqlBool>) => eb.case().when(condition).then(sql.lit(1)).else(sql.lit(0)).end();

/** How many rows the condition holds for. */
export const countWhere = (eb: ExpressionBuilder<any, any>, condition: Expression<SqlBool>) => eb.fn.sum<number | string>(oneIf(eb, condition));

/** select count(*), and per problem how many units have it, from (<failing rows>) */
function summaryQuery(def: FailingRowsDef, db: Kysely<WarehouseTables>, runId: string | undefined) {
  const problems = def.problems ?? [];
  return (db as Untyped)
    .selectFrom(def.failingRows(db, runId).as('f'))
    .select((eb) => [eb.fn.countAll().as('n'), ...problems.map((p, i) => countWhere(eb, p.where(eb)).as(`p${i}`))]);
}

/** the first MAX_SAMPLES failing units, ordered by the check's keys */
function sampleQuery(def: FailingRowsDef, db: Kysely<WarehouseTables>, runId: string | undefined) {
  let q = (db as Untyped).selectFrom(def.failingRows(db, runId).as('f')).selectAll();
  for (const k of def.keys) q = q.orderBy(`f.${k}`);
  return firstRows(db, q, MAX_SAMPLES);
}

/** '2 members with a broken history: 1 with overlapping versions, 1 with 2 current rows' */
function observedText(def: FailingRowsDef, summary: Record<string, unknown>): string {
  const found = (def.problems ?? []).map((p, i) => [Number(summary[`p${i}`] ?? 0), p.label] as const).filter(([n]) => n > 0);
  const total = `${Number(summary.n)} ${def.unit}`;
  return found.length === 0 ? total : `${total}: ${found.map(([n, label]) => `${n} ${label}`).join(', ')}`;
}

export function failingRowsCheck(def: FailingRowsDef): QualityCheck {
  return {
    name: def.name,
    severity: def.severity,
    phase: def.phase,
    description: def.description,
    ...(def.tolerance === undefined ? {} : { tolerance: def.tolerance }),
    ...(def.tables === undefined ? {} : { tables: def.tables }),
    async run(input: CheckInput): Promise<CheckOutcome> {
      const summary = await summaryQuery(def, input.dw, input.runId).executeTakeFirstOrThrow();
      const failing = Number(summary.n);
      const samples = failing > 0 ? (await sampleQuery(def, input.dw, input.runId).execute()).map(sampleKey) : [];
      return { failing, observed: observedText(def, summary), expected: def.expected, samples };
    },
    // scoped to a run (a load, the gate after it) and over whole tables (dw:check), each SQL text once
    queries: (db) => {
      const all = [SOME_RUN, undefined].flatMap((runId) => [summaryQuery(def, db, runId), sampleQuery(def, db, runId)]);
      return all.filter((q, i) => all.findIndex((other) => other.compile().sql === q.compile().sql) === i);
    },
  };
}

/**
 * The same check once more, after the fact load, over the whole warehouse (same name, phase
 * 'warehouse', the run ignored): for rules that something other than the run's own writes can
 * break, or that `dw:check` must also see whole.
 */
export function overWholeWarehouse(def: FailingRowsDef): FailingRowsDef {
  return { ...def, phase: 'warehouse', failingRows: (db) => def.failingRows(db, undefined) };
}
