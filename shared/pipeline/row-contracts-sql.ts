// The row contracts (entities.ts) as set-based SQL over a staging table, for the PostgreSQL
// warehouses: one statement removes every row that breaks its contract from staging and returns
// it with its reason, the same reason text checkRow gives the same row:
//   1. the column contract (NOT NULL, length, decimal(19,4), safe integer, finite timestamps up to year 9999), the
//      reasons taken from zod itself (columnSchema) so both paths say the same thing;
//   2. only for rows whose columns are valid: the business rules (RowRule), in declared order;
//   3. only for rows that meet both: the source date range (SOURCE_DATE_MIN, event dates at most
//      SOURCE_DATE_MAX_FUTURE_HOURS after the window end).
// The statement is PostgreSQL-only (it runs through Database.copy, never on SQL Server, where the
// load checks each row before its bulk copy). Every value, reason texts included, is a bound
// parameter.
import type { ColumnSpec } from '../db/database.js';
import { quoteIdent } from '../db/copy-text.js';
import { ORDER_STATUSES } from '../model/oltp-tables.js';
import {
  afterMaxReason,
  beforeMinReason,
  columnSchema,
  latestEventDate,
  NEGATIVE_MESSAGE,
  NOT_POSITIVE_MESSAGE,
  UNKNOWN_STATUS_MESSAGE,
  type EntityDef,
  type SourceDateLimits,
} from './entities.js';

/** The reason zod gives for a column holding `sample`, as rejectionReason words it ("col: message; col: message"). */
function zodReason(c: ColumnSpec, sample: unknown): string {
  const parsed = columnSchema(c).safeParse(sample);
  if (parsed.success) throw new Error(`${c.name}: ${JSON.stringify(sample)} meets its contract; no reason to derive`);
  return parsed.error.issues.map((i) => `${[c.name, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
}

const MAX_SAFE = '9007199254740991';

class Params {
  readonly values: unknown[] = [];
  /** a placeholder for `value`, cast to `type` (PostgreSQL cannot infer types inside concat_ws and CASE) */
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** The column-contract checks of one column: a CASE giving its reason, or null when the column has none. */
function columnCheck(c: ColumnSpec, p: Params): string | null {
  const col = quoteIdent(c.name);
  const whens: string[] = [];
  if (c.nullable === false) whens.push(`WHEN ${col} IS NULL THEN ${p.add(zodReason(c, null), 'text')}`);
  switch (c.kind) {
    case 'text':
      // zod counts characters (code points), as char_length does
      whens.push(
        `WHEN char_length(${col}) > ${p.add(c.length ?? 1_000_000, 'int')} THEN ${p.add(zodReason(c, 'x'.repeat((c.length ?? 1_000_000) + 1)), 'text')}`,
      );
      break;
    case 'decimal':
      // NaN and infinities sort above every number: abs() catches them with the 15 integer digits
      whens.push(
        `WHEN abs(${col}) >= ${p.add('1000000000000000', 'numeric')} OR scale(${col}) > ${p.add(4, 'int')} THEN ${p.add(zodReason(c, '0.00001'), 'text')}`,
      );
      break;
    case 'bigint':
      whens.push(`WHEN abs(${col}) > ${p.add(MAX_SAFE, 'bigint')} THEN ${p.add(zodReason(c, 2 ** 60), 'text')}`);
      break;
    case 'timestamp':
      // the JSON form of a year past 9999 is not ISO-8601 (+010000-...), nor is 'infinity'
      whens.push(
        `WHEN ${col} >= ${p.add('10000-01-01T00:00:00Z', 'timestamptz')} OR NOT isfinite(${col}) THEN ${p.add(zodReason(c, '+010000-01-01T00:00:00.000Z'), 'text')}`,
      );
      break;
    case 'date':
      whens.push(`WHEN ${col} >= ${p.add('10000-01-01', 'date')} OR NOT isfinite(${col}) THEN ${p.add(zodReason(c, '10000-01-01'), 'text')}`);
      break;
    default:
      break;
  }
  return whens.length > 0 ? `CASE ${whens.join(' ')} END` : null;
}

function ruleChecks(def: EntityDef, p: Params): string[] {
  return def.rules.flatMap((rule) => {
    if (rule.kind === 'nonNegative')
      return rule.columns.map((c) => `CASE WHEN ${quoteIdent(c)} < ${p.add(0, 'int')} THEN ${p.add(`${c}: ${NEGATIVE_MESSAGE}`, 'text')} END`);
    if (rule.kind === 'positive')
      return [`CASE WHEN ${quoteIdent(rule.column)} <= ${p.add(0, 'int')} THEN ${p.add(`${rule.column}: ${NOT_POSITIVE_MESSAGE}`, 'text')} END`];
    const known = ORDER_STATUSES.map((s) => p.add(s, 'text')).join(', ');
    return [`CASE WHEN ${quoteIdent(rule.column)} NOT IN (${known}) THEN ${p.add(`${rule.column}: ${UNKNOWN_STATUS_MESSAGE}`, 'text')} END`];
  });
}

function dateChecks(def: EntityDef, windowEnd: string, limits: SourceDateLimits, p: Params): string[] {
  const min = limits.SOURCE_DATE_MIN.toISOString();
  const max = latestEventDate(limits, windowEnd).toISOString();
  return def.table.columns
    .filter((c) => c.kind === 'timestamp' || c.kind === 'date')
    .map((c) => {
      // a date is placed at its UTC midnight, as the row-by-row check parses it
      const at = c.kind === 'date' ? `(${quoteIdent(c.name)}::timestamp AT TIME ZONE 'UTC')` : quoteIdent(c.name);
      const future = def.eventDates.includes(c.name)
        ? ` WHEN ${at} > ${p.add(max, 'timestamptz')} THEN ${p.add(afterMaxReason(c.name, limits, windowEnd), 'text')}`
        : '';
      return `CASE WHEN ${at} < ${p.add(min, 'timestamptz')} THEN ${p.add(beforeMinReason(c.name, limits), 'text')}${future} END`;
    });
}

const group = (checks: (string | null)[]) => {
  const present = checks.filter((c): c is string => c !== null);
  return present.length > 0 ? `nullif(concat_ws('; ', ${present.join(', ')}), '')` : null;
};

/**
 * DELETE ... RETURNING of the staged rows that break their contract: `_reason` and every column
 * (bigints as text, so an unsafe integer comes back exact).
 */
export function rejectStatement(def: EntityDef, windowEnd: string, limits: SourceDateLimits): { text: string; params: unknown[] } {
  const p = new Params();
  const reasons = [group(def.table.columns.map((c) => columnCheck(c, p))), group(ruleChecks(def, p)), group(dateChecks(def, windowEnd, limits, p))].filter(
    (g): g is string => g !== null,
  );
  const table = `${quoteIdent('stg')}.${quoteIdent(def.name)}`;
  const returned = def.table.columns.map((c) => (c.kind === 'bigint' ? `s.${quoteIdent(c.name)}::text AS ${quoteIdent(c.name)}` : `s.${quoteIdent(c.name)}`));
  const text = [
    `WITH bad AS (SELECT "_seq", "_reason" FROM (SELECT "_seq", coalesce(${reasons.join(', ')}) AS "_reason" FROM ${table}) r WHERE "_reason" IS NOT NULL)`,
    `DELETE FROM ${table} s USING bad WHERE s."_seq" = bad."_seq"`,
    `RETURNING bad."_reason", s."_seq", ${returned.join(', ')}`,
  ].join(' ');
  return { text, params: p.values };
}
