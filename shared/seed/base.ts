// The base seed: 24 months of a Brazilian marketplace written into an empty OLTP.
//
// Reproducible: every value comes from a PRNG seeded with --seed (one sub-stream per table),
// every id is explicit, and every timestamp derives from --as-of, never from the clock. The same
// (seed, scale, as-of) writes the same rows byte for byte on every engine.
//
// Bounded memory: only compact per-row arrays of the dimensions are kept (creation time,
// location, price, seller); orders with their items and payments come from a generator and go
// to the database in chunks through the engine's bulk path, so scale 50 (1M orders) runs in a
// few hundred MB.
//
// Time: all created_at/updated_at and event timestamps are strictly before as-of. Two columns
// are plans, not events, and may lie after it: pedidos.data_entrega_prevista (the promised
// delivery of a recent order) and campanhas.fim (a campaign still running).
import type { BulkRow, Database } from '../db/database.js';
import { formatMoney, fromCents } from '../model/money.js';
import { OLTP, OLTP_TABLES, type OltpTable } from '../model/oltp-tables.js';
import {
  CATEGORIAS,
  FRETE_REGIAO,
  LOCAIS,
  MARCAS,
  MODOS_ENVIO,
  PESOS_SEGMENTO,
  PREFIXOS_LOJA,
  PRIMEIROS_NOMES,
  SEGMENTOS,
  SOBRENOMES,
  SUFIXOS_LOJA,
  TEMAS_CAMPANHA,
  type Local,
  type Subcategoria,
} from './brazil.js';
import { SeedError } from './errors.js';
import { drawTimeline, stateAt } from './lifecycle.js';
import { itemFreight, priceOrder, type CampaignTerms, type ItemDraft } from './order-money.js';
import { drawPaymentPlan, splitPayments } from './payments.js';
import { Rng, WeightedTable } from './random.js';
import { addMonths, DAY, HOUR, iso, isoDate, MINUTE, spread, startOfDay, startOfMonth } from './time.js';

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
export const MONTHS = 24;

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

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const money = (units: bigint) => formatMoney(units);
const ascii = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
const cepOf = (rng: Rng, local: Local) => pad(Math.min(99999, local.cep + rng.int(0, 99)), 5);

/** Orders per hour of the day (UTC), low at night in Brazil (UTC-3). */
const HOUR_WEIGHTS = [5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 8, 8, 8, 8, 7, 7, 8, 8, 7];
const HOURS = HOUR_WEIGHTS.map((_, i) => i);

/** Relative order volume of a UTC day: growth over the window, weekdays, Brazilian retail seasons. */
function dayWeight(day: number, index: number, days: number): number {
  const d = new Date(day);
  const month = d.getUTCMonth() + 1;
  const dom = d.getUTCDate();
  const weekday = d.getUTCDay();
  const trend = 1 + 0.8 * (days > 1 ? index / (days - 1) : 1);
  const week = weekday === 0 ? 0.8 : weekday === 6 ? 0.85 : weekday === 1 ? 1.1 : 1;
  let season = 1;
  if (month === 11) season = dom >= 20 && dom <= 30 ? 2.2 : 1.15;
  else if (month === 12) season = dom <= 22 ? 1.35 : 0.8;
  else if (month === 1) season = 0.85;
  else if (month === 5 && dom <= 12) season = 1.2;
  return trend * week * season;
}

/** The days orders are spread over and their weights; the last day may be cut by as-of. */
function orderDays(from: number, asOf: number): { days: number[]; weights: number[] } {
  const days: number[] = [];
  for (let d = startOfDay(from); d < asOf; d += DAY) days.push(d);
  const weights = days.map((d, i) => dayWeight(d, i, days.length) * (Math.min(DAY, asOf - d) / DAY));
  return { days, weights };
}

/** Sorted random instants: `count` per day from `counts`, with the hour-of-day shape, all < end. */
function* instants(rng: Rng, days: readonly number[], counts: Iterable<number>, end: number): Generator<number> {
  let i = 0;
  const hours = new WeightedTable(HOURS, HOUR_WEIGHTS);
  for (const count of counts) {
    const day = days[i++]!;
    const span = Math.min(DAY, end - day);
    const times: number[] = [];
    for (let k = 0; k < count; k++) {
      const t = hours.pick(rng) * HOUR + rng.int(0, HOUR - 1);
      times.push(day + (t < span ? t : rng.int(0, span - 1)));
    }
    times.sort((a, b) => a - b);
    yield* times;
  }
}

/** Uniform sorted instants in [from, to). */
function sortedUniform(rng: Rng, count: number, from: number, to: number): number[] {
  const out = Array.from({ length: count }, () => from + Math.floor(rng.next() * (to - from)));
  return out.sort((a, b) => a - b);
}

interface Campaign extends CampaignTerms {
  readonly inicio: number;
  readonly fim: number;
}

/** Everything the order generator needs from the dimensions, in compact arrays. */
interface Context {
  readonly rng: Rng;
  readonly asOf: number;
  readonly orderStart: number;
  readonly sizes: SeedSizes;
  readonly customerCreated: Float64Array;
  readonly customerLocal: Uint16Array;
  readonly productCreated: Float64Array;
  readonly productPrice: Int32Array;
  readonly productCost: Int32Array;
  readonly productWeight: Int32Array;
  readonly productSeller: Int32Array;
  readonly campaigns: readonly Campaign[];
}

interface OrderRows {
  readonly pedido: BulkRow;
  readonly itens: BulkRow[];
  readonly pagamentos: BulkRow[];
}

const ITEM_COUNTS = [1, 2, 3, 4];
const ITEM_COUNT_WEIGHTS = [80, 13, 5, 2];
const QUANTITIES = [1, 2, 3];
const QUANTITY_WEIGHTS = [87, 10, 3];

/** The orders of the whole window, in time order (ids ascending with data_pedido). */
function* orders(ctx: Context): Generator<OrderRows> {
  const { rng, asOf, sizes } = ctx;
  const { days, weights } = orderDays(ctx.orderStart, asOf);
  const modos = new WeightedTable(
    MODOS_ENVIO,
    MODOS_ENVIO.map((m) => m.peso),
  );
  let customersKnown = 0;
  let productsKnown = 0;
  let nextCampaign = 0;
  let active: Campaign[] = [];
  let itemId = 0;
  let paymentId = 0;
  let id = 0;
  for (const placed of instants(rng, days, spread(sizes.pedidos, weights), asOf)) {
    id++;
    while (customersKnown < ctx.customerCreated.length && ctx.customerCreated[customersKnown]! < placed) customersKnown++;
    while (productsKnown < ctx.productCreated.length && ctx.productCreated[productsKnown]! < placed) productsKnown++;
    while (nextCampaign < ctx.campaigns.length && ctx.campaigns[nextCampaign]!.inicio <= placed) active.push(ctx.campaigns[nextCampaign++]!);
    active = active.filter((c) => c.fim > placed);

    // A third of orders come from recent sign-ups, the rest from anyone registered by then.
    const customer = rng.chance(0.35)
      ? customersKnown - 1 - Math.floor(rng.next() * Math.max(1, Math.ceil(customersKnown * 0.02)))
      : Math.floor(rng.next() * customersKnown);
    const local = LOCAIS[ctx.customerLocal[customer]!]!;
    const modo = modos.pick(rng);
    const region = FRETE_REGIAO[local.regiao];
    const plan = drawPaymentPlan(rng);
    const timeline = drawTimeline(rng, placed, plan.principal === 'boleto', [modo.dias[0] + region.dias, modo.dias[1] + region.dias]);
    const state = stateAt(timeline, placed, asOf);

    const count = rng.weighted(ITEM_COUNTS, ITEM_COUNT_WEIGHTS);
    const freeShipping = rng.chance(0.12);
    // One item of a multi-item order is sometimes removed before payment (soft delete).
    let deletedIndex = -1;
    let deletedAt = 0;
    if (count > 1 && rng.chance(0.03)) {
      deletedIndex = rng.int(0, count - 1);
      deletedAt = placed + rng.int(MINUTE, 20 * MINUTE);
      if (timeline.aprovacao !== null && deletedAt >= timeline.aprovacao) deletedAt = placed + Math.floor((timeline.aprovacao - placed) / 2);
      if (timeline.cancelamento !== null && deletedAt >= timeline.cancelamento) deletedAt = placed + Math.floor((timeline.cancelamento - placed) / 2);
      if (deletedAt >= asOf) deletedIndex = -1;
    }
    const drafts: ItemDraft[] = [];
    const used = new Set<number>();
    for (let k = 0; k < count; k++) {
      // Older products sell more (they have reviews); no product twice in one order.
      let p = Math.floor(productsKnown * rng.next() ** 1.6);
      for (let tries = 0; used.has(p) && tries < 5; tries++) p = Math.floor(productsKnown * rng.next());
      if (used.has(p)) continue;
      used.add(p);
      const quantidade = rng.weighted(QUANTITIES, QUANTITY_WEIGHTS);
      const seller = rng.chance(0.8) ? ctx.productSeller[p]! : rng.int(0, sizes.vendedores - 1);
      drafts.push({
        produtoId: p + 1,
        vendedorId: seller + 1,
        quantidade,
        precoUnitario: fromCents(ctx.productPrice[p]!),
        custoUnitario: fromCents(ctx.productCost[p]!),
        frete: freeShipping ? 0n : itemFreight(modo.base, modo.porKg, ctx.productWeight[p]!, quantidade, Math.round(region.fator * 100)),
        deleted: k === deletedIndex,
      });
    }
    if (drafts.every((d) => d.deleted)) drafts[0] = { ...drafts[0]!, deleted: false };
    const hasDeleted = drafts.some((d) => d.deleted);

    const campaign = active.length > 0 && rng.chance(0.25) ? rng.pick(active) : null;
    const priced = priceOrder(drafts, campaign);
    const updated = Math.max(state.lastChange, hasDeleted ? deletedAt : 0);
    const ts = (x: number | null) => (x === null ? null : iso(x));
    const pedido: BulkRow = [
      id,
      `PED-${pad(id, 9)}`,
      customer + 1,
      state.status,
      iso(placed),
      ts(state.dataAprovacao),
      ts(state.dataEnvio),
      ts(state.dataEntrega),
      iso(state.dataPrevista),
      ts(state.dataCancelamento),
      local.cidade,
      local.uf,
      modo.nome,
      priced.campanhaId,
      money(priced.valorProdutos),
      money(priced.valorDesconto),
      money(priced.valorFrete),
      money(priced.valorTotal),
      iso(placed),
      iso(updated),
    ];
    const itens = priced.items.map((it, k): BulkRow => {
      const removed = it.deleted ? iso(deletedAt) : null;
      return [
        ++itemId,
        id,
        k + 1,
        it.produtoId,
        it.vendedorId,
        it.campanhaId,
        it.quantidade,
        money(it.precoUnitario),
        money(it.valorBruto),
        it.percentualDesconto === null ? null : money(it.percentualDesconto),
        money(it.valorDesconto),
        money(it.valorLiquido),
        money(it.frete),
        money(it.custoTotal),
        removed,
        iso(placed),
        removed ?? iso(placed),
      ];
    });
    const pagamentos =
      state.dataAprovacao === null
        ? []
        : splitPayments(priced.valorTotal, plan).map((p): BulkRow => [
            ++paymentId,
            id,
            p.sequencial,
            p.tipo,
            p.parcelas,
            money(p.valor),
            iso(state.dataAprovacao!),
            iso(state.dataAprovacao!),
          ]);
    yield { pedido, itens, pagamentos };
  }
}

/** Refuses to seed on top of existing rows: ids are explicit and would collide. */
async function assertEmpty(database: Database): Promise<void> {
  const nonEmpty: string[] = [];
  for (const table of OLTP_TABLES) {
    const row = await database.db
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

/** Seeds the base data into an empty, migrated OLTP; returns the rows written per table. */
export async function seedBase(database: Database, options: SeedBaseOptions): Promise<TableCounts> {
  validateSeedOptions(options);
  await assertEmpty(database);
  const log = options.log ?? (() => {});
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const sizes = seedSizes(options.scale);
  const asOf = options.asOf.getTime();
  const start = addMonths(asOf, -MONTHS);
  // Ten days to open the shop (sellers, first products and customers) before the first order.
  const orderStart = start + 10 * DAY;
  const root = new Rng(`vendas-analytics/seed/${options.seed}`);
  const counts = Object.fromEntries(OLTP_TABLES.map((t) => [t, 0])) as TableCounts;
  const insert = async (table: OltpTable, rows: Iterable<BulkRow>) => {
    counts[table] += await database.bulkInsert(OLTP[table], rows);
  };

  // categorias: parents first, then their children; products reference children.
  const subcategorias: { id: number; sub: Subcategoria }[] = [];
  await insert(
    'categorias',
    (function* () {
      let id = 0;
      for (const parent of CATEGORIAS) {
        const t = iso(start + ++id * MINUTE);
        yield [id, parent.codigo, parent.nome, null, t, t];
      }
      for (let p = 0; p < CATEGORIAS.length; p++) {
        for (const sub of CATEGORIAS[p]!.filhas) {
          const t = iso(start + ++id * MINUTE);
          subcategorias.push({ id, sub });
          yield [id, sub.codigo, sub.nome, p + 1, t, t];
        }
      }
    })(),
  );

  // vendedores: all open their store in the first five days; sellers cluster in the Southeast.
  const sellerCreated = new Float64Array(sizes.vendedores);
  {
    const rng = root.derive('vendedores');
    const places = new WeightedTable(
      LOCAIS,
      LOCAIS.map((l) => l.peso * (l.regiao === 'Sudeste' ? 2 : 1)),
    );
    const times = sortedUniform(rng, sizes.vendedores, start + HOUR, start + 5 * DAY);
    await insert(
      'vendedores',
      (function* () {
        for (let i = 0; i < sizes.vendedores; i++) {
          const local = places.pick(rng);
          const surname = rng.pick(SOBRENOMES);
          const nome = rng.chance(0.5) ? `${rng.pick(PREFIXOS_LOJA)} ${surname}` : `${surname} ${rng.pick(SUFIXOS_LOJA)}`;
          sellerCreated[i] = times[i]!;
          const t = iso(times[i]!);
          yield [i + 1, `VEND-${pad(i + 1, 5)}`, nome, local.cidade, local.uf, cepOf(rng, local), true, t, t];
        }
      })(),
    );
  }

  // clientes: a quarter registered while the shop opened, the rest arrive with the order volume.
  const customerCreated = new Float64Array(sizes.clientes);
  const customerLocal = new Uint16Array(sizes.clientes);
  {
    const rng = root.derive('clientes');
    const places = new WeightedTable(
      LOCAIS.map((_, i) => i),
      LOCAIS.map((l) => l.peso),
    );
    const early = Math.round(sizes.clientes * 0.25);
    const { days, weights } = orderDays(orderStart, asOf);
    const times = (function* () {
      yield* sortedUniform(rng, early, start + HOUR, orderStart);
      yield* instants(rng, days, spread(sizes.clientes - early, weights), asOf);
    })();
    await insert(
      'clientes',
      (function* () {
        let i = 0;
        for (const time of times) {
          const place = places.pick(rng);
          const local = LOCAIS[place]!;
          const first = rng.pick(PRIMEIROS_NOMES);
          const last = rng.pick(SOBRENOMES);
          const nome = rng.chance(0.5) ? `${first} ${rng.pick(SOBRENOMES)} ${last}` : `${first} ${last}`;
          const email = `${ascii(first)}.${ascii(last)}${i + 1}@${rng.pick(['example.com', 'example.net', 'example.org'])}`;
          const segmento = rng.weighted(SEGMENTOS, PESOS_SEGMENTO);
          customerCreated[i] = time;
          customerLocal[i] = place;
          const t = iso(time);
          i++;
          yield [i, `CLI-${pad(i, 8)}`, nome, email, segmento, local.cidade, local.uf, local.regiao, cepOf(rng, local), true, t, t];
        }
      })(),
    );
  }

  // produtos: half of the catalogue at the opening, the rest added evenly over the window.
  const productCreated = new Float64Array(sizes.produtos);
  const productPrice = new Int32Array(sizes.produtos);
  const productCost = new Int32Array(sizes.produtos);
  const productWeight = new Int32Array(sizes.produtos);
  const productSeller = new Int32Array(sizes.produtos);
  const sellerProducts = new Float64Array(sizes.vendedores);
  {
    const rng = root.derive('produtos');
    // A few big sellers and a long tail.
    const sellerRank = new WeightedTable(
      Array.from({ length: sizes.vendedores }, (_, i) => i),
      rng.shuffle(Array.from({ length: sizes.vendedores }, (_, i) => 1 / (i + 3) ** 0.9)),
    );
    const cats = new WeightedTable(
      subcategorias,
      subcategorias.map((s) => s.sub.popularidade),
    );
    const early = Math.round(sizes.produtos * 0.5);
    const { days } = orderDays(orderStart, asOf);
    const times = [
      ...sortedUniform(rng, early, start + 5 * DAY, orderStart),
      ...instants(
        rng,
        days,
        spread(
          sizes.produtos - early,
          days.map(() => 1),
        ),
        asOf,
      ),
    ];
    await insert(
      'produtos',
      (function* () {
        for (let i = 0; i < sizes.produtos; i++) {
          const { id: categoria, sub } = cats.pick(rng);
          // Log-uniform list price in whole reais, shown as x,90.
          const reais = Math.floor(Math.exp(rng.float(Math.log(sub.preco[0]), Math.log(sub.preco[1]))));
          const price = reais * 100 - 10;
          const cost = Math.floor((price * rng.int(40, 75)) / 100);
          const weight = rng.int(sub.peso[0], sub.peso[1]);
          const seller = sellerRank.pick(rng);
          productCreated[i] = times[i]!;
          productPrice[i] = price;
          productCost[i] = cost;
          productWeight[i] = weight;
          productSeller[i] = seller;
          sellerProducts[seller]! += 1;
          const nome = `${sub.produto} ${rng.pick(MARCAS)} ${String.fromCharCode(65 + rng.int(0, 25))}${rng.int(10, 999)}`;
          const t = iso(times[i]!);
          yield [i + 1, `PROD-${pad(i + 1, 6)}`, nome, categoria, money(fromCents(price)), money(fromCents(cost)), weight, true, t, t];
        }
      })(),
    );
  }

  // campanhas: spread over the window, 7-45 days each; two in five are coupons.
  const campaigns: Campaign[] = [];
  {
    const rng = root.derive('campanhas');
    const starts = sortedUniform(rng, sizes.campanhas, orderStart, asOf - 3 * DAY).map((t) => startOfDay(t) + 3 * HOUR);
    await insert(
      'campanhas',
      (function* () {
        for (let i = 0; i < sizes.campanhas; i++) {
          const id = i + 1;
          const inicio = starts[i]!;
          const fim = inicio + rng.int(7, 45) * DAY - 1000;
          const cupom = i % 5 === 1 || i % 5 === 3;
          const percentual = cupom ? null : rng.weighted([500n, 1000n, 1500n, 2000n, 2500n], [3, 4, 3, 2, 1]);
          const valorCupom = cupom ? fromCents(rng.pick([10, 15, 20, 25, 30, 50]) * 100) : null;
          const d = new Date(inicio);
          const tema = rng.pick(TEMAS_CAMPANHA[d.getUTCMonth() + 1]!);
          const nome = `${tema} ${d.getUTCFullYear()} - ${cupom ? `cupom R$ ${formatMoney(valorCupom!, 0)}` : `${Number(percentual) / 100}% off`}`;
          const created = Math.max(start + HOUR, inicio - rng.int(1, 10) * DAY);
          const custo = fromCents(rng.int(20, 400) * 10000);
          campaigns.push({ id, tipo: cupom ? 'cupom' : 'percentual', percentual, valorCupom, inicio, fim });
          yield [
            id,
            `CAMP-${pad(id, 4)}`,
            nome,
            cupom ? 'cupom' : 'percentual',
            percentual === null ? null : money(percentual),
            valorCupom === null ? null : money(valorCupom),
            iso(inicio),
            iso(fim),
            money(custo),
            true,
            iso(created),
            iso(created),
          ];
        }
      })(),
    );
  }

  // metas: a monthly target per seller for the 24 months up to as-of, set a few days before the
  // month starts, sized from the seller's share of the catalogue and the month's order volume.
  {
    const rng = root.derive('metas');
    const lastMonth = startOfMonth(asOf - 1);
    const months = Array.from({ length: MONTHS }, (_, k) => addMonths(lastMonth, k - (MONTHS - 1)));
    const { days, weights } = orderDays(orderStart, asOf);
    const perDay = [...spread(sizes.pedidos, weights)];
    const ordersInMonth = months.map((m) => days.reduce((s, d, i) => (startOfMonth(d) === m ? s + perDay[i]! : s), 0));
    let priceSum = 0;
    for (const p of productPrice) priceSum += p;
    const avgItemCents = priceSum / sizes.produtos;
    await insert(
      'metas',
      (function* () {
        let id = 0;
        for (let s = 0; s < sizes.vendedores; s++) {
          const share = (0.8 * sellerProducts[s]!) / sizes.produtos + 0.2 / sizes.vendedores;
          for (let k = 0; k < MONTHS; k++) {
            const m = months[k]!;
            // Targets are ambitions, not forecasts: 5-30% above the expected volume.
            const monthOrders = Math.max(ordersInMonth[k]!, sizes.pedidos / MONTHS / 2);
            const items = monthOrders * 1.2 * share * rng.float(1.05, 1.3);
            const valor = Math.max(500, Math.round((items * avgItemCents) / 10000) * 100);
            const created = Math.max(sellerCreated[s]! + HOUR, m - 5 * DAY + rng.int(0, 2 * DAY));
            yield [++id, s + 1, isoDate(m), money(fromCents(valor * 100)), Math.max(1, Math.round(items)), iso(created), iso(created)];
          }
        }
      })(),
    );
  }

  log(`dimensions loaded (${elapsed()}); generating ${sizes.pedidos} orders`);
  const ctx: Context = {
    rng: root.derive('pedidos'),
    asOf,
    orderStart,
    sizes,
    customerCreated,
    customerLocal,
    productCreated,
    productPrice,
    productCost,
    productWeight,
    productSeller,
    campaigns,
  };
  const chunk = options.chunkOrders ?? 5000;
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
  for (const o of orders(ctx)) {
    pedidos.push(o.pedido);
    itens.push(...o.itens);
    pagamentos.push(...o.pagamentos);
    done++;
    if (pedidos.length >= chunk) await flush();
    if (done % 100_000 === 0) log(`pedidos: ${done}/${sizes.pedidos} (${elapsed()})`);
  }
  await flush();
  return counts;
}
