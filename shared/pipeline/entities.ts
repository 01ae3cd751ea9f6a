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

function columnSchema(c: ColumnSpec): z.ZodType {
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

const nonNegative = (columns: string[]) => (row: Record<string, unknown>, ctx: z.RefinementCtx) => {
  for (const c of columns) {
    const v = row[c];
    if (v !== null && v !== undefined && Number(v) < 0) ctx.addIssue({ code: 'custom', path: [c], message: 'must not be negative' });
  }
};

function contractFor(table: TableSpec, rules?: (row: Record<string, unknown>, ctx: z.RefinementCtx) => void) {
  const shape = Object.fromEntries(table.columns.map((c) => [c.name, columnSchema(c)]));
  const base = z.object(shape) as unknown as z.ZodType<Record<string, unknown>>;
  return rules ? base.superRefine(rules) : base;
}

/** Dates that may lie in the future: plans, not events. */
const PLANNED_DATES = new Set(['inicio', 'fim', 'mes', 'data_entrega_prevista']);

const def = (name: EntityName, loadedBy: EntityDef['loadedBy'], dateColumns: string[] = [], rules?: Parameters<typeof contractFor>[1]): EntityDef => ({
  name,
  table: OLTP[name],
  loadedBy,
  dateColumns,
  contract: contractFor(OLTP[name], rules),
  eventDates: OLTP[name].columns.filter((c) => (c.kind === 'timestamp' || c.kind === 'date') && !PLANNED_DATES.has(c.name)).map((c) => c.name),
});

const knownStatus = (row: Record<string, unknown>, ctx: z.RefinementCtx) => {
  if (typeof row.status === 'string' && !(ORDER_STATUSES as readonly string[]).includes(row.status)) {
    ctx.addIssue({ code: 'custom', path: ['status'], message: `unknown order status (expected one of ${ORDER_STATUSES.join(', ')})` });
  }
};

export const ENTITIES: readonly EntityDef[] = [
  def('categorias', 'dimensions'),
  def('vendedores', 'dimensions'),
  def('clientes', 'dimensions'),
  def('produtos', 'dimensions', [], nonNegative(['preco_lista', 'custo', 'peso_g'])),
  def('campanhas', 'dimensions', ['inicio', 'fim'], nonNegative(['percentual', 'valor_cupom', 'custo'])),
  def('pedidos', 'facts', ['data_pedido', 'data_entrega'], (row, ctx) => {
    nonNegative(['valor_produtos', 'valor_desconto', 'valor_frete', 'valor_total'])(row, ctx);
    knownStatus(row, ctx);
  }),
  def('itens_pedido', 'facts', [], (row, ctx) => {
    nonNegative(['preco_unitario', 'valor_bruto', 'valor_desconto', 'valor_liquido', 'valor_frete'])(row, ctx);
    if (typeof row.quantidade === 'number' && row.quantidade <= 0) ctx.addIssue({ code: 'custom', path: ['quantidade'], message: 'must be positive' });
  }),
  def('pagamentos', 'facts', [], nonNegative(['valor'])),
  def('metas', 'facts', ['mes'], nonNegative(['valor_meta', 'quantidade_meta'])),
];

export const entity = (name: string): EntityDef | undefined => ENTITIES.find((e) => e.name === name);

/** A readable reason from a contract failure, e.g. "preco_lista: must not be negative; nome: required". */
export function rejectionReason(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ');
}

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
  const max = Date.parse(windowEnd) + limits.SOURCE_DATE_MAX_FUTURE_HOURS * 3_600_000;
  const issues: string[] = [];
  for (const c of def.table.columns) {
    if (c.kind !== 'timestamp' && c.kind !== 'date') continue;
    const v = row[c.name];
    if (typeof v !== 'string') continue;
    const at = Date.parse(c.kind === 'date' ? `${v}T00:00:00.000Z` : v);
    if (at < min) issues.push(`${c.name}: before SOURCE_DATE_MIN ${limits.SOURCE_DATE_MIN.toISOString().slice(0, 10)}`);
    else if (def.eventDates.includes(c.name) && at > max) {
      issues.push(`${c.name}: more than SOURCE_DATE_MAX_FUTURE_HOURS=${limits.SOURCE_DATE_MAX_FUTURE_HOURS} after the window end ${windowEnd}`);
    }
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
