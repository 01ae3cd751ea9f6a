// The source entities the pipeline extracts, in load order, and the contract each extracted row
// must meet. The contract is derived from the OLTP column list (types, lengths, NOT NULL) plus
// the business rules a warehouse cannot accept (negative prices and quantities).
import { z } from 'zod';
import type { ColumnSpec, TableSpec } from '../db/database.js';
import { OLTP, type OltpTable } from '../model/oltp-tables.js';

export type EntityName = OltpTable;

export interface EntityDef {
  name: EntityName;
  table: TableSpec;
  /** which queue step loads it: dimensions now, facts in the fact load */
  loadedBy: 'dimensions' | 'facts';
  /** date columns whose min/max the manifest records, so the calendar can cover them */
  dateColumns: readonly string[];
  contract: z.ZodType<Record<string, unknown>>;
}

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

const def = (name: EntityName, loadedBy: EntityDef['loadedBy'], dateColumns: string[] = [], rules?: Parameters<typeof contractFor>[1]): EntityDef => ({
  name,
  table: OLTP[name],
  loadedBy,
  dateColumns,
  contract: contractFor(OLTP[name], rules),
});

export const ENTITIES: readonly EntityDef[] = [
  def('categorias', 'dimensions'),
  def('vendedores', 'dimensions'),
  def('clientes', 'dimensions'),
  def('produtos', 'dimensions', [], nonNegative(['preco_lista', 'custo', 'peso_g'])),
  def('campanhas', 'dimensions', ['inicio', 'fim'], nonNegative(['percentual', 'valor_cupom', 'custo'])),
  def('pedidos', 'facts', ['data_pedido', 'data_entrega'], nonNegative(['valor_produtos', 'valor_desconto', 'valor_frete', 'valor_total'])),
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
