// The incremental day's orders: status changes along criado -> aprovado -> faturado -> enviado
// -> entregue (orders that become paid get their payments) and cancellations, all stamped at
// one shared instant (a batch job stamps them together); new orders, some by brand-new
// customers; and the late row's status change.
import { formatMoney } from '../../model/money.js';
import { FRETE_REGIAO, MODOS_ENVIO, UFS, type Regiao } from '../brazil.js';
import type { OrderStatus } from '../lifecycle.js';
import { itemFreight, priceOrder, type CampaignTerms, type ItemDraft } from '../order-money.js';
import { drawPaymentPlan, splitPayments, type PaymentPlan } from '../payments.js';
import { drawIds, type Rng } from '../random.js';
import { pad } from '../text.js';
import { DAY, MINUTE } from '../time.js';
import { planNewCustomer, type Residence } from './customers.js';
import type { DayProducts } from './products.js';
import { instant, type PlannedInsert, type PlannedUpdate } from './planned-writes.js';

export const OPEN_STATUSES: readonly OrderStatus[] = ['criado', 'aprovado', 'faturado', 'enviado'];
const NEXT: Partial<Record<OrderStatus, OrderStatus>> = { criado: 'aprovado', aprovado: 'faturado', faturado: 'enviado', enviado: 'entregue' };
const TIMESTAMP_OF: Partial<Record<OrderStatus, string>> = { aprovado: 'data_aprovacao', enviado: 'data_envio', entregue: 'data_entrega' };
const REGIAO_OF = new Map(UFS.map((u) => [u.sigla, u.regiao]));

export interface OpenOrder {
  readonly id: number;
  readonly status: OrderStatus;
  /** valor_total, money units */
  readonly total: bigint;
}

/**
 * Which open orders change today, disjoint: cancellations (only before invoicing), the late
 * row's order (one that is already paid, so it needs no payment) and the orders that move on.
 */
export function pickOpenOrders(
  rng: Rng,
  open: readonly OpenOrder[],
  counts: { cancelamentos: number; avancos: number },
): { cancel: OpenOrder[]; late: OpenOrder | undefined; advance: OpenOrder[] } {
  const shuffled = rng.shuffle(open);
  const taken = new Set<number>();
  const cancel = shuffled.filter((o) => o.status === 'criado' || o.status === 'aprovado').slice(0, counts.cancelamentos);
  cancel.forEach((o) => taken.add(o.id));
  const late = shuffled.find((o) => !taken.has(o.id) && o.status !== 'criado');
  if (late) taken.add(late.id);
  const advance = shuffled.filter((o) => !taken.has(o.id)).slice(0, counts.avancos);
  return { cancel, late, advance };
}

/** An order's move to its next status at `at`, with the timestamp column of that status. */
function statusChange(order: OpenOrder, at: number, why: string): PlannedUpdate {
  const to = NEXT[order.status]!;
  const column = TIMESTAMP_OF[to];
  return {
    kind: 'update',
    table: 'pedidos',
    id: order.id,
    why,
    set: { status: to, ...(column ? { [column]: instant(at) } : {}), updated_at: instant(at) },
    expect: { status: order.status },
  };
}

/** The payments of an order paid at `at`, adding up to its total. */
export function planPayments(nextId: () => number, pedidoId: number, total: bigint, plan: PaymentPlan, at: number): PlannedInsert[] {
  return splitPayments(total, plan).map((p) => ({
    kind: 'insert',
    table: 'pagamentos',
    row: {
      id: nextId(),
      pedido_id: pedidoId,
      sequencial: p.sequencial,
      tipo: p.tipo,
      parcelas: p.parcelas,
      valor: formatMoney(p.valor),
      created_at: instant(at),
      updated_at: instant(at),
    },
  }));
}

/** Each order (in id order) moves to its next status at `at`; an order that becomes paid gets its payments. */
export function planStatusAdvances(
  rng: Rng,
  orders: readonly OpenOrder[],
  at: number,
  nextPaymentId: () => number,
): { statusWrites: PlannedUpdate[]; paymentWrites: PlannedInsert[] } {
  const statusWrites: PlannedUpdate[] = [];
  const paymentWrites: PlannedInsert[] = [];
  for (const o of [...orders].sort((a, b) => a.id - b.id)) {
    const to = NEXT[o.status]!;
    statusWrites.push(statusChange(o, at, `${o.status} -> ${to}`));
    if (to === 'aprovado') paymentWrites.push(...planPayments(nextPaymentId, o.id, o.total, drawPaymentPlan(rng), at));
  }
  return { statusWrites, paymentWrites };
}

/** Each order (in id order) is cancelled at `at`; its payments, if any, stay. */
export function planCancellations(orders: readonly OpenOrder[], at: number): PlannedUpdate[] {
  return [...orders]
    .sort((a, b) => a.id - b.id)
    .map((o) => ({
      kind: 'update',
      table: 'pedidos',
      id: o.id,
      why: `${o.status} -> cancelado`,
      set: { status: 'cancelado', data_cancelamento: instant(at), updated_at: instant(at) },
      expect: { status: o.status },
    }));
}

/** The late row's status change: committed after the main transaction, stamped `at`. */
export function planLateStatusChange(order: OpenOrder, at: number): PlannedUpdate {
  return statusChange(order, at, `${order.status} -> ${NEXT[order.status]!} (late commit)`);
}

export interface NewOrdersInput {
  readonly day: string;
  /** the last order is placed exactly at `at`, the others in the 40 minutes before */
  readonly at: number;
  /** existing customers who order today (ids with their residence) */
  readonly customers: readonly number[];
  readonly residences: ReadonlyMap<number, Residence>;
  /** how many brand-new customers sign up and order */
  readonly newCustomers: number;
  /** the day's campaign: the first order uses it, then one in four */
  readonly campaign: CampaignTerms;
  readonly products: DayProducts;
  /** products and sellers are drawn from ids 1..max */
  readonly produtoMax: number;
  readonly vendedorMax: number;
  readonly ids: { readonly cliente: () => number; readonly pedido: () => number; readonly item: () => number; readonly pagamento: () => number };
}

export interface NewOrders {
  readonly customerWrites: PlannedInsert[];
  readonly orderWrites: PlannedInsert[];
  readonly itemWrites: PlannedInsert[];
  readonly paymentWrites: PlannedInsert[];
}

/** Today's new orders in (at - 40 min, at]: 1-3 items each, paid right away or still open. */
export async function planNewOrders(rng: Rng, input: NewOrdersInput): Promise<NewOrders> {
  const { at, residences, products, ids } = input;
  const out: NewOrders = { customerWrites: [], orderWrites: [], itemWrites: [], paymentWrites: [] };
  const buyers: ({ existing: number } | { fresh: true })[] = [
    ...input.customers.filter((id) => residences.has(id)).map((id) => ({ existing: id })),
    ...Array.from({ length: input.newCustomers }, () => ({ fresh: true as const })),
  ];
  const buyerOrder = rng.shuffle(buyers);
  const times = Array.from({ length: buyerOrder.length - 1 }, () => at - rng.int(1, 40 * MINUTE - 1));
  times.sort((a, b) => a - b);
  times.push(at);
  for (let k = 0; k < buyerOrder.length; k++) {
    const placed = times[k]!;
    const buyer = buyerOrder[k]!;
    let cliente: number;
    let place: { cidade: string; estado: string; regiao: Regiao };
    if ('existing' in buyer) {
      const p = residences.get(buyer.existing)!;
      cliente = buyer.existing;
      place = { cidade: p.cidade, estado: p.estado, regiao: p.regiao ?? REGIAO_OF.get(p.estado) ?? 'Sudeste' };
    } else {
      cliente = ids.cliente();
      const signUp = planNewCustomer(rng, cliente, placed);
      place = signUp.residence;
      out.customerWrites.push(signUp.write);
    }
    const id = ids.pedido();
    const modo = rng.weighted(
      MODOS_ENVIO,
      MODOS_ENVIO.map((m) => m.peso),
    );
    const region = FRETE_REGIAO[place.regiao];
    const count = rng.weighted([1, 2, 3], [80, 15, 5]);
    const productIds = drawIds(rng, input.produtoMax, count);
    await products.load(productIds);
    const drafts: ItemDraft[] = productIds
      .filter((p) => products.get(p) !== undefined)
      .map((p) => {
        const prod = products.get(p)!;
        const quantidade = rng.weighted([1, 2], [90, 10]);
        return {
          produtoId: p,
          vendedorId: rng.int(1, input.vendedorMax),
          quantidade,
          precoUnitario: prod.preco,
          custoUnitario: prod.custo,
          frete: itemFreight(modo.base, modo.porKg, prod.peso, quantidade, Math.round(region.fator * 100)),
          deleted: false,
        };
      });
    if (drafts.length === 0) continue;
    const priced = priceOrder(drafts, k === 0 || rng.chance(0.25) ? input.campaign : null);
    const plan = drawPaymentPlan(rng);
    const approval = plan.principal === 'boleto' ? null : placed + rng.int(30_000, 5 * MINUTE);
    const approved = approval !== null && approval <= at && rng.chance(0.6) ? approval : null;
    out.orderWrites.push({
      kind: 'insert',
      table: 'pedidos',
      row: {
        id,
        codigo: `PED-${input.day.replaceAll('-', '')}-${pad(k + 1, 5)}`,
        cliente_id: cliente,
        status: approved === null ? 'criado' : 'aprovado',
        data_pedido: instant(placed),
        data_aprovacao: approved === null ? null : instant(approved),
        data_envio: null,
        data_entrega: null,
        data_entrega_prevista: instant(Math.floor((placed + (modo.dias[1] + region.dias + 3) * DAY) / DAY) * DAY),
        data_cancelamento: null,
        cidade_entrega: place.cidade,
        estado_entrega: place.estado,
        modo_envio: modo.nome,
        campanha_id: priced.campanhaId,
        valor_produtos: formatMoney(priced.valorProdutos),
        valor_desconto: formatMoney(priced.valorDesconto),
        valor_frete: formatMoney(priced.valorFrete),
        valor_total: formatMoney(priced.valorTotal),
        created_at: instant(placed),
        updated_at: instant(approved ?? placed),
      },
    });
    priced.items.forEach((it, n) => {
      out.itemWrites.push({
        kind: 'insert',
        table: 'itens_pedido',
        row: {
          id: ids.item(),
          pedido_id: id,
          numero_item: n + 1,
          produto_id: it.produtoId,
          vendedor_id: it.vendedorId,
          campanha_id: it.campanhaId,
          quantidade: it.quantidade,
          preco_unitario: formatMoney(it.precoUnitario),
          valor_bruto: formatMoney(it.valorBruto),
          percentual_desconto: it.percentualDesconto === null ? null : formatMoney(it.percentualDesconto),
          valor_desconto: formatMoney(it.valorDesconto),
          valor_liquido: formatMoney(it.valorLiquido),
          valor_frete: formatMoney(it.frete),
          custo_total: formatMoney(it.custoTotal),
          deleted_at: null,
          created_at: instant(placed),
          updated_at: instant(placed),
        },
      });
    });
    if (approved !== null) out.paymentWrites.push(...planPayments(ids.pagamento, id, priced.valorTotal, plan, approved));
  }
  return out;
}
