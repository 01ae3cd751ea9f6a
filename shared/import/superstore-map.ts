// Maps validated Superstore order lines onto OLTP rows (positional, in the column order of
// shared/model/oltp-tables.ts). Pure: ids, existing keys and the import time come in, rows and
// counts go out. Money is bigint units of 1/10,000 throughout; divisions round half away from
// zero to 4 decimals, once.
import type { BulkRow } from '../db/database.js';
import { formatMoney } from '../model/money.js';

/** One validated line of the file. Amounts are units of 1/10,000 (Discount 0.2 = 2000n). */
export interface SuperstoreLine {
  /** line number in the file (the header is line 1) */
  readonly line: number;
  readonly rowId: number;
  readonly orderId: string;
  /** 'YYYY-MM-DD' */
  readonly orderDate: string;
  readonly shipDate: string;
  readonly shipMode: string;
  readonly customerId: string;
  readonly customerName: string;
  readonly segment: string;
  readonly country: string;
  readonly city: string;
  readonly state: string;
  readonly postalCode: string | null;
  readonly region: string;
  readonly productId: string;
  readonly category: string;
  readonly subCategory: string;
  readonly productName: string;
  readonly sales: bigint;
  readonly quantity: number;
  readonly discount: bigint;
  readonly profit: bigint;
}

/** The one seller every Superstore line is attributed to (the file has no sellers). */
export const SUPERSTORE_SELLER = { codigo: 'SUPERSTORE', nome: 'Superstore', cidade: 'n/d', estado: 'n/d' } as const;
export const SUPERSTORE_PAYMENT_TYPE = 'nao_informado';
export const SUPERSTORE_ORDER_STATUS = 'enviado';

export type MappedTable = 'categorias' | 'vendedores' | 'clientes' | 'produtos' | 'pedidos' | 'itens_pedido' | 'pagamentos';
/** Parents before children: the order to load in, and the reverse order to undo. */
export const MAPPED_TABLES: readonly MappedTable[] = ['categorias', 'vendedores', 'clientes', 'produtos', 'pedidos', 'itens_pedido', 'pagamentos'];

export interface MapInput {
  readonly lines: readonly SuperstoreLine[];
  /** first free id per table (max(id) + 1) */
  readonly nextId: Readonly<Record<MappedTable, bigint>>;
  /** rows that already exist, by codigo -> id; they are referenced, not inserted again */
  readonly existing: Readonly<Record<'categorias' | 'vendedores' | 'clientes' | 'produtos', ReadonlyMap<string, bigint>>>;
  /** the import time (ISO-8601, ms, Z): updated_at of every row written */
  readonly at: string;
}

export interface MapResult {
  readonly rows: Record<MappedTable, BulkRow[]>;
  readonly stats: {
    readonly orders: number;
    readonly items: number;
    readonly customers: number;
    readonly customersWithSeveralAddresses: number;
    readonly customersExisting: number;
    readonly products: number;
    readonly productsWithSeveralNames: number;
    readonly productsExisting: number;
    readonly categories: number;
    readonly duplicateLines: number;
    readonly sales: bigint;
    readonly profit: bigint;
  };
  /** inclusive id range of the orders written */
  readonly orderIds: { readonly first: bigint; readonly last: bigint };
}

const ONE = 10_000n;

/** n / d rounded half away from zero (d > 0). */
export function divRound(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divisor must be positive');
  const q = (2n * (n < 0n ? -n : n) + d) / (2n * d);
  return n < 0n ? -q : q;
}

/** Gross (list) amount of a line: Sales / (1 - Discount), 4 decimals. */
export const grossOf = (l: SuperstoreLine): bigint => divRound(l.sales * ONE, ONE - l.discount);
/** Unit list price: Sales / (1 - Discount) / Quantity, rounded once to 4 decimals. */
export const listPriceOf = (l: SuperstoreLine): bigint => divRound(l.sales * ONE, (ONE - l.discount) * BigInt(l.quantity));

const midnight = (date: string): string => `${date}T00:00:00.000Z`;
const byRecency = (a: SuperstoreLine, b: SuperstoreLine): number => (a.orderDate < b.orderDate ? -1 : a.orderDate > b.orderDate ? 1 : a.rowId - b.rowId);

interface Group {
  readonly first: SuperstoreLine;
  latest: SuperstoreLine;
  readonly variants: Set<string>;
}

/** Groups lines (already in chronological order) by key: first and latest line, distinct variants. */
function group(lines: readonly SuperstoreLine[], key: (l: SuperstoreLine) => string, variant: (l: SuperstoreLine) => string): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const l of lines) {
    const g = groups.get(key(l));
    if (g) {
      g.latest = l;
      g.variants.add(variant(l));
    } else {
      groups.set(key(l), { first: l, latest: l, variants: new Set([variant(l)]) });
    }
  }
  return groups;
}

export function mapSuperstore(input: MapInput): MapResult {
  const { at } = input;
  const lines = [...input.lines].sort(byRecency);
  const next = { ...input.nextId };
  const take = (t: MappedTable): bigint => next[t]++;
  const rows: Record<MappedTable, BulkRow[]> = {
    categorias: [],
    vendedores: [],
    clientes: [],
    produtos: [],
    pedidos: [],
    itens_pedido: [],
    pagamentos: [],
  };
  const firstDate = midnight(lines[0]!.orderDate);

  // Categories: each Category a parent, each Sub-Category a child 'Category/Sub-Category'.
  const categoryIds = new Map<string, bigint>();
  const category = (codigo: string, nome: string, parent: bigint | null, createdAt: string): bigint => {
    let id = categoryIds.get(codigo) ?? input.existing.categorias.get(codigo);
    if (id === undefined) {
      id = take('categorias');
      rows.categorias.push([id, codigo, nome, parent, createdAt, at]);
    }
    categoryIds.set(codigo, id);
    return id;
  };
  for (const l of lines) {
    const parent = category(l.category, l.category, null, midnight(l.orderDate));
    category(`${l.category}/${l.subCategory}`, l.subCategory, parent, midnight(l.orderDate));
  }

  // The one seller.
  let sellerId = input.existing.vendedores.get(SUPERSTORE_SELLER.codigo);
  if (sellerId === undefined) {
    sellerId = take('vendedores');
    const s = SUPERSTORE_SELLER;
    rows.vendedores.push([sellerId, s.codigo, s.nome, s.cidade, s.estado, null, true, firstDate, at]);
  }

  // Customers: attributes and address of the most recent line; created when first seen.
  const address = (l: SuperstoreLine) => JSON.stringify([l.city, l.state, l.postalCode, l.region]);
  const customers = group(lines, (l) => l.customerId, address);
  const customerIds = new Map<string, bigint>();
  let customersExisting = 0;
  for (const [codigo, g] of customers) {
    let id = input.existing.clientes.get(codigo);
    if (id === undefined) {
      id = take('clientes');
      const c = g.latest;
      rows.clientes.push([id, codigo, c.customerName, null, c.segment, c.city, c.state, c.region, c.postalCode, true, midnight(g.first.orderDate), at]);
    } else {
      customersExisting++;
    }
    customerIds.set(codigo, id);
  }

  // Products: name, category and unit list price of the most recent line.
  const products = group(
    lines,
    (l) => l.productId,
    (l) => l.productName,
  );
  const productIds = new Map<string, bigint>();
  let productsExisting = 0;
  for (const [codigo, g] of products) {
    let id = input.existing.produtos.get(codigo);
    if (id === undefined) {
      id = take('produtos');
      const p = g.latest;
      const categoryId = categoryIds.get(`${p.category}/${p.subCategory}`)!;
      rows.produtos.push([id, codigo, p.productName, categoryId, formatMoney(listPriceOf(p)), null, null, true, midnight(g.first.orderDate), at]);
    } else {
      productsExisting++;
    }
    productIds.set(codigo, id);
  }

  // Orders with their items (Row ID order) and one derived payment each.
  const orders = new Map<string, SuperstoreLine[]>();
  for (const l of lines) {
    const list = orders.get(l.orderId);
    if (list) list.push(l);
    else orders.set(l.orderId, [l]);
  }
  const firstOrderId = next.pedidos;
  let sales = 0n;
  let profit = 0n;
  for (const [codigo, orderLines] of orders) {
    orderLines.sort((a, b) => a.rowId - b.rowId);
    const head = orderLines[0]!;
    const orderId = take('pedidos');
    const createdAt = midnight(head.orderDate);
    let gross = 0n;
    let discount = 0n;
    let net = 0n;
    orderLines.forEach((l, i) => {
      const bruto = grossOf(l);
      const desconto = bruto - l.sales;
      gross += bruto;
      discount += desconto;
      net += l.sales;
      sales += l.sales;
      profit += l.profit;
      rows.itens_pedido.push([
        take('itens_pedido'),
        orderId,
        i + 1,
        productIds.get(l.productId)!,
        sellerId,
        null,
        l.quantity,
        formatMoney(divRound(bruto, BigInt(l.quantity))),
        formatMoney(bruto),
        formatMoney(l.discount),
        formatMoney(desconto),
        formatMoney(l.sales),
        formatMoney(0n),
        formatMoney(l.sales - l.profit),
        null,
        createdAt,
        at,
      ]);
    });
    rows.pedidos.push([
      orderId,
      codigo,
      customerIds.get(head.customerId)!,
      SUPERSTORE_ORDER_STATUS,
      createdAt,
      null,
      midnight(head.shipDate),
      null,
      null,
      null,
      head.city,
      head.state,
      head.shipMode,
      null,
      formatMoney(gross),
      formatMoney(discount),
      formatMoney(0n),
      formatMoney(net),
      createdAt,
      at,
    ]);
    rows.pagamentos.push([take('pagamentos'), orderId, 1, SUPERSTORE_PAYMENT_TYPE, 1, formatMoney(net), createdAt, at]);
  }

  // Lines identical but for Row ID: kept (they count in the file's totals), reported.
  const seen = new Set<string>();
  let duplicateLines = 0;
  for (const l of lines) {
    const key = JSON.stringify(
      Object.entries(l).filter(([k]) => k !== 'line' && k !== 'rowId'),
      (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
    );
    if (seen.has(key)) duplicateLines++;
    else seen.add(key);
  }

  return {
    rows,
    stats: {
      orders: orders.size,
      items: lines.length,
      customers: customers.size,
      customersWithSeveralAddresses: [...customers.values()].filter((g) => g.variants.size > 1).length,
      customersExisting,
      products: products.size,
      productsWithSeveralNames: [...products.values()].filter((g) => g.variants.size > 1).length,
      productsExisting,
      categories: categoryIds.size,
      duplicateLines,
      sales,
      profit,
    },
    orderIds: { first: firstOrderId, last: next.pedidos - 1n },
  };
}
