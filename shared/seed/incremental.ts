// One deterministic day of OLTP changes on top of the base seed: what the daily ELT must pick
// up. Everything it writes is stamped inside (at - 60 min, at], later than any updated_at
// already in the OLTP, and it reproduces the situations incremental loaders get wrong
// (DESIGN §4.1, §9); each kind of change is planned by its own function under day/:
//   - new orders (items, payments), some by brand-new customers;
//   - status changes along criado -> aprovado -> faturado -> enviado -> entregue (orders that
//     become paid get their payments) and cancellations of open orders;
//   - a list-price change and a category change (SCD2 on dim_produto), customers who move to
//     another state (SCD2 on dim_cliente), a new campaign;
//   - several rows sharing one exact updated_at (a batch job stamps them together);
//   - a late row: after the main transaction commits, a second one writes a row with
//     updated_at = at - 5 min, earlier than rows that were already visible.
//
// planIncrementalDay() reads the OLTP and decides every row it will insert or update (ids,
// values, timestamps) without writing; applyIncrementalDay() executes exactly that plan and
// reports what it changed. Same data + same --at + same --seed -> the same plan: the planners
// share one random stream, so the order of the steps below is part of the output. The new
// campaign's codigo 'DIA-YYYY-MM-DD' marks the day as applied.
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { tablesOf, type OltpTables } from '../db/schema/index.js';
import { instantParam } from '../db/portable-sql.js';
import { parseMoney } from '../model/money.js';
import { OLTP_TABLES, type OltpTable } from '../model/oltp-tables.js';
import { planCategoryChange, planNewCampaign, planPriceChange, dayMarker } from './day/catalogue.js';
import { planLateSignUp, planMoves, type Residence } from './day/customers.js';
import { OPEN_STATUSES, pickOpenOrders, planCancellations, planLateStatusChange, planNewOrders, planStatusAdvances } from './day/orders.js';
import { changesOf, idsAfter, isInstant, type ChangeSet, type PlannedRow, type PlannedWrite, type Value } from './day/planned-writes.js';
import { DayProducts, type DayProduct } from './day/products.js';
import { SeedError } from './errors.js';
import type { OrderStatus } from './lifecycle.js';
import { drawIds, Rng } from './random.js';
import { HOUR, isoDate, MINUTE } from './time.js';

export interface IncrementalOptions {
  readonly at: Date;
  readonly seed: number;
  /**
   * The order count the day's sizes are computed from (incrementalSizes); default: the orders in
   * the OLTP. The benchmark passes one value at every scale, so daily runs at two scales read the
   * same number of changes.
   */
  readonly sizedFor?: number;
}

export interface IncrementalPlan {
  readonly day: string;
  readonly at: string;
  readonly seed: number;
  /** window of every timestamp written: (windowStart, at] */
  readonly windowStart: string;
  /** the instant stamped on the batch of status changes */
  readonly batchInstant: string;
  /** the instant stamped on the catalogue changes (campaign, price, category) */
  readonly catalogueInstant: string;
  /** written in the main transaction, in FK order */
  readonly main: readonly PlannedWrite[];
  /** written afterwards in its own transaction, stamped at - 5 min */
  readonly late: PlannedWrite;
  /** ids per table that main + late insert or update */
  readonly targets: ChangeSet;
  /** customers that moved: id and their new place */
  readonly moves: readonly { id: number; cidade: string; estado: string }[];
}

/** Counts of the day, proportional to the orders already in the OLTP (20,000 at scale 1), with floors. */
export function incrementalSizes(orders: number) {
  const novos = Math.max(6, Math.round(orders / 600));
  return {
    novosPedidos: novos,
    novosClientes: Math.max(2, Math.round(novos * 0.3)),
    avancos: Math.max(3, Math.round(orders / 500)),
    cancelamentos: Math.max(1, Math.round(orders / 4000)),
    mudancas: Math.max(2, Math.round(orders / 5000)),
  };
}

const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : new Date(String(v)).getTime());

async function maxId(db: Kysely<OltpTables>, table: OltpTable): Promise<number> {
  const r = await tablesOf(db, 'oltp')
    .selectFrom(`oltp.${table}`)
    .select((eb) => eb.fn.max('id').as('m'))
    .executeTakeFirstOrThrow();
  return r.m === null ? 0 : Number(r.m);
}

/** Refuses a day already applied, an empty OLTP, and a window that reaches back over existing rows; returns the order count. */
async function checkPreconditions(db: Kysely<OltpTables>, day: string, at: number, windowStart: number): Promise<number> {
  const marker = dayMarker(day);
  const applied = await db.selectFrom('oltp.campanhas').select('id').where('codigo', '=', marker).executeTakeFirst();
  if (applied) throw new SeedError(`incremental day ${day} already applied (campaign ${marker} exists); pick an --at on another UTC date`);

  const orderCount = Number(
    (
      await db
        .selectFrom('oltp.pedidos')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  if (orderCount === 0) throw new SeedError('the OLTP has no orders: run `npm run seed` first');

  let latest = 0;
  for (const table of OLTP_TABLES) {
    const r = await tablesOf(db, 'oltp')
      .selectFrom(`oltp.${table}`)
      .select((eb) => eb.fn.max('updated_at').as('m'))
      .executeTakeFirstOrThrow();
    if (r.m !== null) latest = Math.max(latest, ms(r.m));
  }
  if (latest > windowStart) {
    throw new SeedError(
      `the clock is behind the data: the incremental day writes in (${new Date(windowStart).toISOString()}, ${new Date(at).toISOString()}] ` +
        `but the OLTP already has updated_at ${new Date(latest).toISOString()}; use an --at at least 60 minutes after it`,
    );
  }
  return orderCount;
}

async function readProducts(db: Kysely<OltpTables>, ids: number[]): Promise<Map<number, DayProduct>> {
  const rows = await db.selectFrom('oltp.produtos').select(['id', 'preco_lista', 'custo', 'peso_g', 'categoria_id']).where('id', 'in', ids).execute();
  return new Map(
    rows.map((r) => [
      Number(r.id),
      {
        preco: parseMoney(String(r.preco_lista)),
        custo: r.custo === null ? 0n : parseMoney(String(r.custo)),
        peso: r.peso_g === null ? 500 : Number(r.peso_g),
        categoria: Number(r.categoria_id),
      },
    ]),
  );
}

async function readChildCategories(db: Kysely<OltpTables>): Promise<number[]> {
  const rows = await db.selectFrom('oltp.categorias').select('id').where('categoria_pai_id', 'is not', null).orderBy('id').execute();
  return rows.map((c) => Number(c.id));
}

async function readOpenOrders(db: Kysely<OltpTables>) {
  const rows = await db
    .selectFrom('oltp.pedidos')
    .select(['id', 'status', 'valor_total'])
    .where('status', 'in', [...OPEN_STATUSES])
    .orderBy('id')
    .execute();
  return rows.map((o) => ({ id: Number(o.id), status: String(o.status) as OrderStatus, total: parseMoney(String(o.valor_total)) }));
}

async function readResidences(db: Kysely<OltpTables>, ids: number[]): Promise<Map<number, Residence>> {
  const rows = await db.selectFrom('oltp.clientes').select(['id', 'cidade', 'estado', 'regiao']).where('id', 'in', ids).execute();
  return new Map(rows.map((p) => [Number(p.id), { cidade: String(p.cidade), estado: String(p.estado), regiao: p.regiao as Residence['regiao'] }]));
}

/** Reads the OLTP and decides every change of the incremental day, without writing anything. */
export async function planIncrementalDay(database: Database<OltpTables>, options: IncrementalOptions): Promise<IncrementalPlan> {
  const db = database.db;
  const at = options.at.getTime();
  if (Number.isNaN(at)) throw new SeedError('--at must be a valid instant');
  const day = isoDate(at);
  const windowStart = at - HOUR;
  const catalogueAt = at - 45 * MINUTE;
  const batchAt = at - 30 * MINUTE;
  const lateAt = at - 5 * MINUTE;
  const ordersInOltp = await checkPreconditions(db, day, at, windowStart);
  if (options.sizedFor !== undefined && !(Number.isInteger(options.sizedFor) && options.sizedFor > 0))
    throw new SeedError(`sizedFor must be a positive whole number of orders, got ${options.sizedFor}`);
  const sizes = incrementalSizes(options.sizedFor ?? ordersInOltp);
  const rng = new Rng(`vendas-analytics/incremental/${options.seed}/${new Date(at).toISOString()}`);

  // Catalogue: a new campaign, one price change, one category change, at one shared instant.
  const campaign = planNewCampaign(rng, (await maxId(db, 'campanhas')) + 1, day, catalogueAt);
  const produtoMax = await maxId(db, 'produtos');
  const [priceId, categoryId] = drawIds(rng, produtoMax, 2);
  if (priceId === undefined || categoryId === undefined) throw new SeedError('the OLTP needs at least two products');
  const products = new DayProducts((ids) => readProducts(db, ids));
  await products.load([priceId, categoryId]);
  const priceChange = planPriceChange(rng, priceId, products.get(priceId)!, catalogueAt);
  products.set(priceId, { ...products.get(priceId)!, preco: priceChange.preco });
  const categoryChange = planCategoryChange(rng, categoryId, products.get(categoryId)!, await readChildCategories(db), catalogueAt);

  // Open orders: cancellations and status advances share the batch instant; one is kept for the late row.
  const open = pickOpenOrders(rng, await readOpenOrders(db), { cancelamentos: sizes.cancelamentos, avancos: sizes.avancos });
  const nextPagamentoId = idsAfter(await maxId(db, 'pagamentos'));
  const advances = planStatusAdvances(rng, open.advance, batchAt, nextPagamentoId);
  const cancellations = planCancellations(open.cancel, batchAt);

  // Customers: a few move to another state; some existing ones and some new ones order.
  const clienteMax = await maxId(db, 'clientes');
  const moverIds = drawIds(rng, clienteMax, sizes.mudancas);
  const orderCustomerIds = drawIds(rng, clienteMax, sizes.novosPedidos - sizes.novosClientes, new Set(moverIds));
  const residences = await readResidences(db, [...moverIds, ...orderCustomerIds]);
  const moves = planMoves(rng, moverIds, residences, windowStart);
  const nextClienteId = idsAfter(clienteMax);
  const orders = await planNewOrders(rng, {
    day,
    at,
    customers: orderCustomerIds,
    residences,
    newCustomers: sizes.novosClientes,
    campaign: campaign.terms,
    products,
    produtoMax,
    vendedorMax: await maxId(db, 'vendedores'),
    ids: {
      cliente: nextClienteId,
      pedido: idsAfter(await maxId(db, 'pedidos')),
      item: idsAfter(await maxId(db, 'itens_pedido')),
      pagamento: nextPagamentoId,
    },
  });

  // The late row: an order that moves on (no payment needed), or else a late sign-up.
  const late = open.late ? planLateStatusChange(open.late, lateAt) : planLateSignUp(rng, nextClienteId(), lateAt);

  // Parents before children, so foreign keys hold at every statement.
  const main: PlannedWrite[] = [
    campaign.write,
    priceChange.write,
    categoryChange,
    ...moves.writes,
    ...orders.customerWrites,
    ...advances.statusWrites,
    ...cancellations,
    ...orders.orderWrites,
    ...orders.itemWrites,
    ...advances.paymentWrites,
    ...orders.paymentWrites,
  ];
  return {
    day,
    at: new Date(at).toISOString(),
    seed: options.seed,
    windowStart: new Date(windowStart).toISOString(),
    batchInstant: new Date(batchAt).toISOString(),
    catalogueInstant: new Date(catalogueAt).toISOString(),
    main,
    late,
    targets: changesOf([...main, late]),
    moves: moves.moves,
  };
}

/** A planned row with its timestamps as parameters the engine's column type takes. */
function toRow(db: Kysely<OltpTables>, row: PlannedRow): Record<string, Value> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, isInstant(v) ? instantParam(db, new Date(v.ms)) : v]));
}

/**
 * Executes one planned write. The planners (day/) describe rows as column -> value records for
 * any table, so the statement is built on the untyped view of the connection.
 */
async function write(typed: Kysely<OltpTables>, w: PlannedWrite): Promise<void> {
  const db: Kysely<any> = typed;
  if (w.kind === 'insert') {
    await db.insertInto(`oltp.${w.table}`).values(toRow(db, w.row)).execute();
    return;
  }
  let q = db.updateTable(`oltp.${w.table}`).set(toRow(db, w.set)).where('id', '=', w.id);
  for (const [column, value] of Object.entries(w.expect)) q = q.where(column, '=', value);
  const r = await q.executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) {
    throw new SeedError(`incremental day: ${w.table} ${w.id} changed since it was planned (${w.why}); nothing of the main transaction was written`);
  }
}

/**
 * Applies a plan: the main writes in one transaction, then the late row in a second one.
 * Returns the ids it inserted or updated per table.
 */
export async function applyIncrementalDay(database: Database<OltpTables>, plan: IncrementalPlan): Promise<ChangeSet> {
  // The marker campaign is the first insert: a concurrent run of the same day fails on its
  // unique codigo and rolls back instead of writing the day twice.
  await database.db.transaction().execute(async (trx) => {
    for (const w of plan.main) await write(trx, w);
  });
  const done: PlannedWrite[] = [...plan.main];
  await database.db.transaction().execute(async (trx) => {
    await write(trx, plan.late);
  });
  done.push(plan.late);
  return changesOf(done);
}

/** plan + apply, for the CLI and the local host. */
export async function runIncrementalDay(database: Database<OltpTables>, options: IncrementalOptions): Promise<{ plan: IncrementalPlan; changes: ChangeSet }> {
  const plan = await planIncrementalDay(database, options);
  const changes = await applyIncrementalDay(database, plan);
  return { plan, changes };
}

/** Rows written by a plan, for logs: "pedidos +12 ~9". */
export function describeChanges(changes: ChangeSet): string[] {
  return OLTP_TABLES.filter((t) => changes[t].inserted.length + changes[t].updated.length > 0).map(
    (t) => `${t}: ${changes[t].inserted.length} new, ${changes[t].updated.length} updated`,
  );
}
