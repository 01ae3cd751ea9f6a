// The money rules of an order, shared by the base seed and the incremental day so both write
// orders the OLTP checks accept. Every amount is a bigint count of 1/10,000 BRL
// (shared/model/money.ts) holding whole cents; nothing here uses binary floats.
//
//   item:   valor_bruto = preco_unitario x quantidade; valor_liquido = valor_bruto - valor_desconto;
//           custo_total = produto.custo x quantidade; valor_frete = the item's freight share (>= 0)
//   'percentual' campaign: every item gets campanha_id, percentual_desconto and
//           valor_desconto = valor_bruto x percentual rounded to cents
//   'cupom' campaign: pedidos.campanha_id is set; the coupon (capped at the order's gross) is
//           spread over the live items proportionally to valor_bruto, the remainder cents on the
//           last item; each of them gets campanha_id and valor_desconto
//   order:  sums over the items with deleted_at null;
//           valor_total = valor_produtos - valor_desconto + valor_frete
import { fromCents, roundToCents, SCALE } from '../model/money.js';

const FACTOR = 10n ** BigInt(SCALE);
const CENT = FACTOR / 100n;

export interface CampaignTerms {
  readonly id: number;
  readonly tipo: 'percentual' | 'cupom';
  /** the rate in units of 1/10,000 (0.1000 -> 1000n), for 'percentual' */
  readonly percentual: bigint | null;
  /** the coupon value in money units, for 'cupom' */
  readonly valorCupom: bigint | null;
}

export interface ItemDraft {
  readonly produtoId: number;
  readonly vendedorId: number;
  readonly quantidade: number;
  /** unit price in money units (whole cents) */
  readonly precoUnitario: bigint;
  /** unit cost in money units */
  readonly custoUnitario: bigint;
  readonly frete: bigint;
  /** removed from the order (soft delete): still a row, left out of the order's sums */
  readonly deleted: boolean;
}

export interface PricedItem extends ItemDraft {
  readonly campanhaId: number | null;
  readonly percentualDesconto: bigint | null;
  readonly valorBruto: bigint;
  readonly valorDesconto: bigint;
  readonly valorLiquido: bigint;
  readonly custoTotal: bigint;
}

export interface PricedOrder {
  readonly items: PricedItem[];
  /** set for 'cupom' campaigns only */
  readonly campanhaId: number | null;
  readonly valorProdutos: bigint;
  readonly valorDesconto: bigint;
  readonly valorFrete: bigint;
  readonly valorTotal: bigint;
}

/** Prices an order's items and totals, applying at most one campaign. */
export function priceOrder(drafts: readonly ItemDraft[], campaign: CampaignTerms | null): PricedOrder {
  const gross = drafts.map((d) => d.precoUnitario * BigInt(d.quantidade));
  const discount = drafts.map(() => 0n);
  const campaignOf: (number | null)[] = drafts.map(() => null);
  const rateOf: (bigint | null)[] = drafts.map(() => null);

  if (campaign?.tipo === 'percentual' && campaign.percentual !== null) {
    drafts.forEach((_, i) => {
      // gross x rate is in units x 1/10,000; dividing back truncates below a unit, which never
      // changes the half-cent rounding of a non-negative amount.
      discount[i] = roundToCents((gross[i]! * campaign.percentual!) / FACTOR);
      campaignOf[i] = campaign.id;
      rateOf[i] = campaign.percentual;
    });
  } else if (campaign?.tipo === 'cupom' && campaign.valorCupom !== null) {
    const live = drafts.map((d, i) => (d.deleted ? -1 : i)).filter((i) => i >= 0);
    const liveGross = live.reduce((s, i) => s + gross[i]!, 0n);
    const coupon = campaign.valorCupom < liveGross ? campaign.valorCupom : liveGross;
    if (live.length > 0) spreadCoupon(coupon, live, gross, discount);
    for (const i of live) campaignOf[i] = campaign.id;
  }

  const items: PricedItem[] = drafts.map((d, i) => ({
    ...d,
    campanhaId: campaignOf[i]!,
    percentualDesconto: rateOf[i]!,
    valorBruto: gross[i]!,
    valorDesconto: discount[i]!,
    valorLiquido: gross[i]! - discount[i]!,
    custoTotal: d.custoUnitario * BigInt(d.quantidade),
  }));
  let valorProdutos = 0n;
  let valorDesconto = 0n;
  let valorFrete = 0n;
  for (const it of items) {
    if (it.deleted) continue;
    valorProdutos += it.valorBruto;
    valorDesconto += it.valorDesconto;
    valorFrete += it.frete;
  }
  return {
    items,
    campanhaId: campaign?.tipo === 'cupom' ? campaign.id : null,
    valorProdutos,
    valorDesconto,
    valorFrete,
    valorTotal: valorProdutos - valorDesconto + valorFrete,
  };
}

/**
 * Splits `coupon` over the items `live` in proportion to their gross, in whole cents, rounding
 * down and putting the remainder on the last item. When the coupon nearly equals the gross the
 * remainder could exceed the last item's gross; the excess then moves to earlier items that
 * still have room, so no item is discounted below zero.
 */
function spreadCoupon(coupon: bigint, live: readonly number[], gross: readonly bigint[], discount: bigint[]): void {
  const total = live.reduce((s, i) => s + gross[i]!, 0n);
  if (total === 0n || coupon === 0n) return;
  const couponCents = coupon / CENT;
  let given = 0n;
  for (const i of live.slice(0, -1)) {
    const share = ((couponCents * (gross[i]! / CENT)) / (total / CENT)) * CENT;
    discount[i] = share;
    given += share;
  }
  const last = live[live.length - 1]!;
  let rest = coupon - given;
  const room = gross[last]!;
  discount[last] = rest < room ? rest : room;
  rest -= discount[last]!;
  for (let k = live.length - 2; k >= 0 && rest > 0n; k--) {
    const i = live[k]!;
    const free = gross[i]! - discount[i]!;
    const move = free < rest ? free : rest;
    discount[i] = discount[i]! + move;
    rest -= move;
  }
}

/**
 * Freight of one item in money units: a fixed part plus a part per kg, times a regional factor
 * in percent, rounded to cents. Integer arithmetic throughout.
 */
export function itemFreight(baseCents: number, centsPerKg: number, pesoG: number, quantidade: number, regionPercent: number): bigint {
  const cents = baseCents + Math.floor((pesoG * quantidade * centsPerKg) / 1000);
  return roundToCents((fromCents(cents) * BigInt(regionPercent)) / 100n);
}
