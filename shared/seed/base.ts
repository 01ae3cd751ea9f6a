// The base seed: 24 months of a Brazilian marketplace written into an empty OLTP.
//
// Reproducible: every value comes from a PRNG seeded with --seed (one sub-stream per table),
// every id is explicit, and every timestamp derives from --as-of, never from the clock. The same
// (seed, scale, as-of) writes the same rows byte for byte on every engine.
//
// Bounded memory: only compact per-row arrays of the dimensions are kept (creation time,
// location, price, seller); orders with their items and payments come from a generator and go
// to the database in chunks through the engine's bulk path, so scale 50 (1M orders) runs in a
// few hundred MB. Each table's rows come from its own module under base/.
//
// Time: all created_at/updated_at and event timestamps are strictly before as-of. Two columns
// are plans, not events, and may lie after it: pedidos.data_entrega_prevista (the promised
// delivery of a recent order) and campanhas.fim (a campaign still running).
import type { BulkRow, Database } from '../db/database.js';
import { tablesOf, type OltpTables } from '../db/schema/index.js';
import { OLTP, OLTP_TABLES, type OltpTable } from '../model/oltp-tables.js';
import { MONTHS, seedWindow } from './base/calendar.js';
import { generateCampaigns } from './base/campaigns.js';
import { generateCategories } from './base/categories.js';
import { generateCustomers } from './base/customers.js';
import { orders, type OrderRows } from './base/orders.js';
import { generateProducts } from './base/products.js';
import { generateSellers } from './base/sellers.js';
import { targetRows } from './base/targets.js';
import { CATEGORIAS } from './brazil.js';
import { SeedError } from './errors.js';
import { Rng } from './random.js';

export interface SeedBaseOptions {
  /** 1 = about 20,000 orders over 24 months; > 0 and <= 100 */
  readonly scale: number;
  /** PRNG seed, a non-negative integer */
  readonly seed: number;
  /** every base timestamp is strictly before this instant; the data covers the 24 months before it */
  readonly asOf: Date;
  /** progress lines */
  readonly log?: (line: string) => void;
  /** orders per bulk chunk (memory bound); default 5000 */
  readonly chunkOrders?: number;
}

export type TableCounts = Record<OltpTable, number>;

export const MAX_SCALE = 100;

export interface SeedSizes {
  readonly pedidos: number;
  readonly clientes: number;
  readonly produtos: number;
  readonly vendedores: number;
  readonly campanhas: number;
  readonly categorias: number;
  /** metas = vendedores x 24 months */
  readonly metas: number;
}

/**
 * Row counts per scale. Orders, customers, products and sellers grow linearly; campaigns with
 * the square root (a bigger store runs bigger, not proportionally more, campaigns); the
 * catalogue tree is fixed. The floors keep every table populated at tiny scales.
 */
export function seedSizes(scale: number): SeedSizes {
  const vendedores = Math.max(5, Math.round(150 * scale));
  return {
    pedidos: Math.max(60, Math.round(20000 * scale)),
    clientes: Math.max(40, Math.round(8000 * scale)),
    produtos: Math.max(30, Math.round(2000 * scale)),
    vendedores,
    campanhas: Math.max(6, Math.round(40 * Math.sqrt(scale))),
    categorias: CATEGORIAS.length + CATEGORIAS.reduce((s, c) => s + c.filhas.length, 0),
    metas: vendedores * MONTHS,
  };
}

export function validateSeedOptions(o: Pick<SeedBaseOptions, 'scale' | 'seed' | 'asOf'>): void {
  if (!Number.isFinite(o.scale) || o.scale <= 0 || o.scale > MAX_SCALE) {
    throw new SeedError(`scale must be a number > 0 and <= ${MAX_SCALE} (1 = about 20,000 orders), got ${o.scale}`);
  }
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new SeedError(`seed must be a non-negative integer, got ${o.seed}`);
  if (!(o.asOf instanceof Date) || Number.isNaN(o.asOf.getTime())) throw new SeedError('as-of must be a valid date');
}

/** Refuses to seed on top of existing rows: ids are explicit and would collide. */
async function assertEmpty(database: Database<OltpTables>): Promise<void> {
  const nonEmpty: string[] = [];
  for (const table of OLTP_TABLES) {
    const row = await tablesOf(database.db, 'oltp')
      .selectFrom(`oltp.${table}`)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const n = Number(row.n);
    if (n > 0) nonEmpty.push(`${table}: ${n}`);
  }
  if (nonEmpty.length > 0) {
    throw new SeedError(
      `the OLTP database is not empty (${nonEmpty.join(', ')}); the base seed only fills an empty OLTP. ` +
        'Use `npm run seed:incremental` to add a day on top, or seed into a fresh database.',
    );
  }
}

/** Writes the orders with their items and payments in chunks of `chunk` orders. */
async function writeOrders(
  generated: Iterable<OrderRows>,
  chunk: number,
  insert: (table: OltpTable, rows: BulkRow[]) => Promise<void>,
  progress: (done: number) => void,
): Promise<void> {
  let pedidos: BulkRow[] = [];
  let itens: BulkRow[] = [];
  let pagamentos: BulkRow[] = [];
  let done = 0;
  const flush = async () => {
    // Parents before children: each chunk's orders, then their items, then their payments.
    await insert('pedidos', pedidos);
    await insert('itens_pedido', itens);
    await insert('pagamentos', pagamentos);
    pedidos = [];
    itens = [];
    pagamentos = [];
  };
  for (const o of generated) {
    pedidos.push(o.pedido);
    itens.push(...o.itens);
    pagamentos.push(...o.pagamentos);
    done++;
    if (pedidos.length >= chunk) await flush();
    if (done % 100_000 === 0) progress(done);
  }
  await flush();
}

/** Seeds the base data into an empty, migrated OLTP; returns the rows written per table. */
export async function seedBase(database: Database<OltpTables>, options: SeedBaseOptions): Promise<TableCounts> {
  validateSeedOptions(options);
  await assertEmpty(database);
  const log = options.log ?? (() => {});
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const sizes = seedSizes(options.scale);
  const window = seedWindow(options.asOf.getTime());
  // One random stream per table: a change in one table's draws never shifts another's.
  const root = new Rng(`vendas-analytics/seed/${options.seed}`);
  const counts = Object.fromEntries(OLTP_TABLES.map((t) => [t, 0])) as TableCounts;
  const insert = async (table: OltpTable, rows: Iterable<BulkRow>) => {
    counts[table] += await database.bulkInsert(OLTP[table], rows);
  };

  const categories = generateCategories(window.start);
  await insert('categorias', categories.rows);
  const sellers = generateSellers(root.derive('vendedores'), sizes.vendedores, window);
  await insert('vendedores', sellers.rows);
  const customers = generateCustomers(root.derive('clientes'), sizes.clientes, window);
  await insert('clientes', customers.rows);
  const products = generateProducts(root.derive('produtos'), sizes.produtos, sizes.vendedores, categories.children, window);
  await insert('produtos', products.rows);
  const campaigns = generateCampaigns(root.derive('campanhas'), sizes.campanhas, window);
  await insert('campanhas', campaigns.rows);
  await insert('metas', targetRows(root.derive('metas'), window, { orders: sizes.pedidos, sellerCreated: sellers.created, products: products.facts }));

  log(`dimensions loaded (${elapsed()}); generating ${sizes.pedidos} orders`);
  const generated = orders({
    rng: root.derive('pedidos'),
    window,
    count: sizes.pedidos,
    sellers: sizes.vendedores,
    customers,
    products: products.facts,
    campaigns: campaigns.campaigns,
  });
  await writeOrders(generated, options.chunkOrders ?? 5000, insert, (done) => log(`pedidos: ${done}/${sizes.pedidos} (${elapsed()})`));
  return counts;
}
