// The incremental day's catalogue changes, all stamped at one instant: a new campaign (its
// codigo 'DIA-YYYY-MM-DD' marks the day as applied), a list-price change and a category change
// (both SCD2 on dim_produto).
import { formatMoney, fromCents } from '../../model/money.js';
import { SeedError } from '../errors.js';
import type { CampaignTerms } from '../order-money.js';
import type { Rng } from '../random.js';
import { DAY } from '../time.js';
import type { DayProduct } from './products.js';
import { instant, type PlannedInsert, type PlannedUpdate } from './planned-writes.js';

export const dayMarker = (day: string) => `DIA-${day}`;

/** The day's campaign, starting at `at` for 14 days: a percentage or a coupon. */
export function planNewCampaign(rng: Rng, id: number, day: string, at: number): { write: PlannedInsert; terms: CampaignTerms } {
  const cupom = rng.chance(0.5);
  const terms: CampaignTerms = {
    id,
    tipo: cupom ? 'cupom' : 'percentual',
    percentual: cupom ? null : rng.pick([1000n, 1500n, 2000n]),
    valorCupom: cupom ? fromCents(rng.pick([15, 20, 30]) * 100) : null,
  };
  const write: PlannedInsert = {
    kind: 'insert',
    table: 'campanhas',
    row: {
      id,
      codigo: dayMarker(day),
      nome: `Oferta do Dia ${day.split('-').reverse().join('/')}`,
      tipo: terms.tipo,
      percentual: terms.percentual === null ? null : formatMoney(terms.percentual),
      valor_cupom: terms.valorCupom === null ? null : formatMoney(terms.valorCupom),
      inicio: instant(at),
      fim: instant(at + 14 * DAY),
      custo: formatMoney(fromCents(rng.int(5, 50) * 100000)),
      ativa: true,
      created_at: instant(at),
      updated_at: instant(at),
    },
  };
  return { write, terms };
}

/** A 5-20% rise or cut of a product's list price, still ending in ,90, above cost and different. */
export function planPriceChange(rng: Rng, id: number, product: DayProduct, at: number): { write: PlannedUpdate; preco: bigint } {
  const oldCents = Number(product.preco / 100n);
  const factor = rng.chance(0.5) ? rng.int(105, 120) : rng.int(80, 95);
  let cents = Math.floor((oldCents * factor) / 100 / 100) * 100 - 10;
  const costCents = Number(product.custo / 100n);
  if (cents <= costCents) cents = Math.floor(costCents / 100) * 100 + 190;
  if (cents === oldCents) cents += 100;
  const preco = fromCents(cents);
  return {
    write: {
      kind: 'update',
      table: 'produtos',
      id,
      why: 'price change',
      set: { preco_lista: formatMoney(preco), updated_at: instant(at) },
      expect: { preco_lista: formatMoney(product.preco) },
    },
    preco,
  };
}

/** Moves a product to another child category (`childCategories`: ids of every child category). */
export function planCategoryChange(rng: Rng, id: number, product: DayProduct, childCategories: readonly number[], at: number): PlannedUpdate {
  const choices = childCategories.filter((c) => c !== product.categoria);
  if (choices.length === 0) throw new SeedError('the OLTP needs at least two child categories');
  return {
    kind: 'update',
    table: 'produtos',
    id,
    why: 'category change',
    set: { categoria_id: rng.pick(choices), updated_at: instant(at) },
    expect: { categoria_id: product.categoria },
  };
}
