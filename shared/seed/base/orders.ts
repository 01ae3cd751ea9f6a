// pedidos, itens_pedido, pagamentos: the orders of the whole window, generated one at a time
// (with their items and payments) so they can be written in chunks; customers, products and
// campaigns are chosen among those that exist when the order is placed.
import type { BulkRow } from '../../db/database.js';
import { formatMoney, fromCents } from '../../model/money.js';
import { FRETE_REGIAO, LOCAIS, MODOS_ENVIO } from '../brazil.js';
import { drawTimeline, stateAt } from '../lifecycle.js';
import { itemFreight, priceOrder, type ItemDraft } from '../order-money.js';
import { drawPaymentPlan, splitPayments } from '../payments.js';
import { WeightedTable, type Rng } from '../random.js';
import { pad } from '../text.js';
import { iso, MINUTE, spread } from '../time.js';
import { instants, orderDays, type SeedWindow } from './calendar.js';
import type { Campaign } from './campaigns.js';
import type { ProductFacts } from './products.js';

/** Everything the order generator needs from the dimensions, in compact arrays. */
export interface OrderContext {
  readonly rng: Rng;
  readonly window: SeedWindow;
  /** how many orders over the window */
  readonly count: number;
  readonly sellers: number;
  readonly customers: { readonly created: Float64Array; readonly local: Uint16Array };
  readonly products: ProductFacts;
  readonly campaigns: readonly Campaign[];
}

export interface OrderRows {
  readonly pedido: BulkRow;
  readonly itens: BulkRow[];
  readonly pagamentos: BulkRow[];
}

const ITEM_COUNTS = [1, 2, 3, 4];
const ITEM_COUNT_WEIGHTS = [80, 13, 5, 2];
const QUANTITIES = [1, 2, 3];
const QUANTITY_WEIGHTS = [87, 10, 3];

/** The orders of the whole window, in time order (ids ascending with data_pedido). */
export function* orders(ctx: OrderContext): Generator<OrderRows> {
  const { rng, customers, products } = ctx;
  const { asOf } = ctx.window;
  const { days, weights } = orderDays(ctx.window.orderStart, asOf);
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
  for (const placed of instants(rng, days, spread(ctx.count, weights), asOf)) {
    id++;
    while (customersKnown < customers.created.length && customers.created[customersKnown]! < placed) customersKnown++;
    while (productsKnown < products.created.length && products.created[productsKnown]! < placed) productsKnown++;
    while (nextCampaign < ctx.campaigns.length && ctx.campaigns[nextCampaign]!.inicio <= placed) active.push(ctx.campaigns[nextCampaign++]!);
    active = active.filter((c) => c.fim > placed);

    // A third of orders come from recent sign-ups, the rest from anyone registered by then.
    const customer = rng.chance(0.35)
      ? customersKnown - 1 - Math.floor(rng.next() * Math.max(1, Math.ceil(customersKnown * 0.02)))
      : Math.floor(rng.next() * customersKnown);
    const local = LOCAIS[customers.local[customer]!]!;
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
      const seller = rng.chance(0.8) ? products.seller[p]! : rng.int(0, ctx.sellers - 1);
      drafts.push({
        produtoId: p + 1,
        vendedorId: seller + 1,
        quantidade,
        precoUnitario: fromCents(products.price[p]!),
        custoUnitario: fromCents(products.cost[p]!),
        frete: freeShipping ? 0n : itemFreight(modo.base, modo.porKg, products.weight[p]!, quantidade, Math.round(region.fator * 100)),
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
      formatMoney(priced.valorProdutos),
      formatMoney(priced.valorDesconto),
      formatMoney(priced.valorFrete),
      formatMoney(priced.valorTotal),
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
        formatMoney(it.precoUnitario),
        formatMoney(it.valorBruto),
        it.percentualDesconto === null ? null : formatMoney(it.percentualDesconto),
        formatMoney(it.valorDesconto),
        formatMoney(it.valorLiquido),
        formatMoney(it.frete),
        formatMoney(it.custoTotal),
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
            formatMoney(p.valor),
            iso(state.dataAprovacao!),
            iso(state.dataAprovacao!),
          ]);
    yield { pedido, itens, pagamentos };
  }
}
