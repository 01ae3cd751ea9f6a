// The source entities the pipeline extracts, in load order, and the contract each extracted row
// must meet. The contract is derived from the OLTP column list (types, lengths, NOT NULL) plus
// the business rules a warehouse cannot accept (negative prices and quantities).
import { z } from 'zod';
import type { ColumnSpec, TableSpec } from '../db/database.js';
import { OLTP, ORDER_STATUSES, type OltpTable } from '../model/oltp-tables.js';

export type EntityName = OltpTable;

export interface EntityDef {
  name: EntityName;
  table: TableSpec;
  /** which queue step loads it: dimensions now, facts in the fact load */
  loadedBy: 'dimensions' | 'facts';
  /** date columns whose min/max the manifest records, so the calendar can cover them */
  dateColumns: readonly string[];
  /** business rules beyond the column types (the contract applies them; row-contracts-sql.ts too) */
  rules: readonly RowRule[];
  contract: z.ZodType<Record<string, unknown>>;
  /**
   * Date and timestamp columns that record something that already happened (created, ordered,
   * delivered...): they may not lie after the batch's window end (plus a tolerance). Every date
   * column, these and the planned ones (a campaign's end, a monthly target, an expected delivery),
   * must not lie before SOURCE_DATE_MIN.
   */
  eventDates: readonly string[];
}

/** The sane range of source dates (settings SOURCE_DATE_MIN, SOURCE_DATE_MAX_FUTURE_HOURS). */
export interface SourceDateLimits {
  SOURCE_DATE_MIN: Date;
  SOURCE_DATE_MAX_FUTURE_HOURS: number;
}

/** The settings' defaults, for callers that do not pass their settings. */
export const DEFAULT_SOURCE_DATE_LIMITS: SourceDateLimits = {
  SOURCE_DATE_MIN: new Date('2000-01-01T00:00:00.000Z'),
  SOURCE_DATE_MAX_FUTURE_HOURS: 24,
};

const DECIMAL = /^-?\d{1,15}(\.\d{1,4})?$/;

/** The type, length and NOT NULL part of a column's contract (row-contracts-sql.ts derives its reasons from it). */
export function columnSchema(c: ColumnSpec): z.ZodType {
  let s: z.ZodType;
  switch (c.kind) {
    case 'bigint':
    case 'int':
      // ids may arrive as strings from drivers that return bigint as text
      s = z
        .union([
          z.number(),
          z
            .string()
            .regex(/^-?\d+$/)
            .transform(Number),
        ])
        .pipe(z.number().int().refine(Number.isSafeInteger, 'not a safe integer'));
      break;
    case 'text':
      s = z.string().max(c.length ?? 1_000_000, `longer than ${c.length} characters`);
      break;
    case 'decimal':
      s = z.union([z.string(), z.number().transform(String)]).pipe(z.string().regex(DECIMAL, 'not a decimal(19,4)'));
      break;
    case 'timestamp':
      s = z.iso.datetime({ offset: false, message: 'not a UTC ISO-8601 timestamp' });
      break;
    case 'date':
      s = z.iso.date({ message: 'not a YYYY-MM-DD date' });
      break;
    case 'bool':
      s = z.boolean();
      break;
  }
  return c.nullable === false ? s : s.nullable();
}

/**
 * The business rules a row must also meet once its columns are well-typed, declared once for the
 * row-by-row contract (zod, below) and the set-based one (row-contracts-sql.ts), in this order.
 */
export type RowRule = { kind: 'nonNegative'; columns: readonly string[] } | { kind: 'knownStatus'; column: string } | { kind: 'positive'; column: string };

export const NEGATIVE_MESSAGE = 'must not be negative';
export const NOT_POSITIVE_MESSAGE = 'must be positive';
export const UNKNOWN_STATUS_MESSAGE = `unknown order status (expected one of ${ORDER_STATUSES.join(', ')})`;

function applyRules(rules: readonly RowRule[]) {
  return (row: Record<string, unknown>, ctx: z.RefinementCtx) => {
    for (const rule of rules) {
      if (rule.kind === 'nonNegative') {
        for (const c of rule.columns) {
          const v = row[c];
          if (v !== null && v !== undefined && Number(v) < 0) ctx.addIssue({ code: 'custom', path: [c], message: NEGATIVE_MESSAGE });
        }
      } else if (rule.kind === 'knownStatus') {
        const v = row[rule.column];
        if (typeof v === 'string' && !(ORDER_STATUSES as readonly string[]).includes(v)) {
          ctx.addIssue({ code: 'custom', path: [rule.column], message: UNKNOWN_STATUS_MESSAGE });
        }
      } else {
        const v = row[rule.column];
        if (typeof v === 'number' && v <= 0) ctx.addIssue({ code: 'custom', path: [rule.column], message: NOT_POSITIVE_MESSAGE });
      }
    }
  };
}

function contractFor(table: TableSpec, rules: readonly RowRule[]) {
  const shape = Object.fromEntries(table.columns.map((c) => [c.name, columnSchema(c)]));
  const base = z.object(shape) as unknown as z.ZodType<Record<string, unknown>>;
  return rules.length > 0 ? base.superRefine(applyRules(rules)) : base;
}

/** Dates that may lie in the future: plans, not events. */
const PLANNED_DATES = new Set(['inicio', 'fim', 'mes', 'data_entrega_prevista']);

const def = (name: EntityName, loadedBy: EntityDef['loadedBy'], dateColumns: string[] = [], rules: RowRule[] = []): EntityDef => ({
  name,
  table: OLTP[name],
  loadedBy,
  dateColumns,
  rules,
  contract: contractFor(OLTP[name], rules),
  eventDates: OLTP[name].columns.filter((c) => (c.kind === 'timestamp' || c.kind === 'date') && !PLANNED_DATES.has(c.name)).map((c) => c.name),
});

const nonNegative = (...columns: string[]): RowRule => ({ kind: 'nonNegative', columns });

export const ENTITIES: readonly EntityDef[] = [
  def('categorias', 'dimensions'),
  def('vendedores', 'dimensions'),
  def('clientes', 'dimensions'),
  def('produtos', 'dimensions', [], [nonNegative('preco_lista', 'custo', 'peso_g')]),
  def('campanhas', 'dimensions', ['inicio', 'fim'], [nonNegative('percentual', 'valor_cupom', 'custo')]),
  def(
    'pedidos',
    'facts',
    ['data_pedido', 'data_entrega'],
    [nonNegative('valor_produtos', 'valor_desconto', 'valor_frete', 'valor_total'), { kind: 'knownStatus', column: 'status' }],
  ),
  def(
    'itens_pedido',
    'facts',
    [],
    [nonNegative('preco_unitario', 'valor_bruto', 'valor_desconto', 'valor_liquido', 'valor_frete'), { kind: 'positive', column: 'quantidade' }],
  ),
  def('pagamentos', 'facts', [], [nonNegative('valor')]),
  def('metas', 'facts', ['mes'], [nonNegative('valor_meta', 'quantidade_meta')]),
];

export const entity = (name: string): EntityDef | undefined => ENTITIES.find((e) => e.name === name);

/** A readable reason from a contract failure, e.g. "preco_lista: must not be negative; nome: required". */
export function rejectionReason(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ');
}

/** The reasons of the date range check (shared with the set-based contract). */
export const beforeMinReason = (column: string, limits: SourceDateLimits) =>
  `${column}: before SOURCE_DATE_MIN ${limits.SOURCE_DATE_MIN.toISOString().slice(0, 10)}`;
export const afterMaxReason = (column: string, limits: SourceDateLimits, windowEnd: string) =>
  `${column}: more than SOURCE_DATE_MAX_FUTURE_HOURS=${limits.SOURCE_DATE_MAX_FUTURE_HOURS} after the window end ${windowEnd}`;
/** The latest event date a batch ending at `windowEnd` accepts. */
export const latestEventDate = (limits: SourceDateLimits, windowEnd: string) =>
  new Date(Date.parse(windowEnd) + limits.SOURCE_DATE_MAX_FUTURE_HOURS * 3_600_000);

/**
 * Dates the warehouse cannot place: before SOURCE_DATE_MIN (any date column), or, for an event,
 * more than SOURCE_DATE_MAX_FUTURE_HOURS after the batch's window end (an order dated 2099 would
 * load with the unknown date key and be counted nowhere). The row has met its contract, so its
 * dates are ISO strings (UTC) or null. Returns the reasons, empty when the dates are sane.
 */
export function dateRangeIssues(
  def: EntityDef,
  row: Record<string, unknown>,
  windowEnd: string,
  limits: SourceDateLimits = DEFAULT_SOURCE_DATE_LIMITS,
): string[] {
  const min = limits.SOURCE_DATE_MIN.getTime();
  const max = latestEventDate(limits, windowEnd).getTime();
  const issues: string[] = [];
  for (const c of def.table.columns) {
    if (c.kind !== 'timestamp' && c.kind !== 'date') continue;
    const v = row[c.name];
    if (typeof v !== 'string') continue;
    const at = Date.parse(c.kind === 'date' ? `${v}T00:00:00.000Z` : v);
    if (at < min) issues.push(beforeMinReason(c.name, limits));
    else if (def.eventDates.includes(c.name) && at > max) issues.push(afterMaxReason(c.name, limits, windowEnd));
  }
  return issues;
}

export type RowCheck = { ok: true; row: Record<string, unknown> } | { ok: false; reason: string };

/** A row against its contract and the sane date range of its batch (window end). */
export function checkRow(def: EntityDef, raw: unknown, windowEnd: string, limits: SourceDateLimits = DEFAULT_SOURCE_DATE_LIMITS): RowCheck {
  const parsed = def.contract.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: rejectionReason(parsed.error) };
  const issues = dateRangeIssues(def, parsed.data, windowEnd, limits);
  return issues.length > 0 ? { ok: false, reason: issues.join('; ') } : { ok: true, row: parsed.data };
}
