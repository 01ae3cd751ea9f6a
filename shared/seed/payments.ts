// How an order is paid. The method is drawn when the order is placed (a boleto takes days to
// clear, so it shapes the approval delay); the payment rows are written once the order is paid
// (approved) and their values add up exactly to the order's valor_total: vouchers take a share
// in whole cents and the main method pays the rest.
import { PESOS_PAGAMENTO_PRINCIPAL, type TipoPagamento } from './brazil.js';
import type { Rng } from './random.js';
import { SCALE } from '../model/money.js';

const CENT = 10n ** BigInt(SCALE) / 100n;

export interface PaymentPlan {
  readonly principal: Exclude<TipoPagamento, 'voucher'>;
  /** share of the total in percent for each voucher paid before the main method (0-2 vouchers) */
  readonly vouchers: readonly number[];
  readonly parcelas: number;
}

export interface Payment {
  readonly sequencial: number;
  readonly tipo: TipoPagamento;
  readonly parcelas: number;
  readonly valor: bigint;
}

const MAIN = Object.keys(PESOS_PAGAMENTO_PRINCIPAL) as PaymentPlan['principal'][];
const MAIN_WEIGHTS = MAIN.map((k) => PESOS_PAGAMENTO_PRINCIPAL[k]);
const INSTALMENTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const INSTALMENT_WEIGHTS = [48, 12, 10, 7, 6, 4, 2, 3, 1, 7];

export function drawPaymentPlan(rng: Rng): PaymentPlan {
  const principal = rng.weighted(MAIN, MAIN_WEIGHTS);
  const r = rng.next();
  const count = r < 0.9 ? 0 : r < 0.98 ? 1 : 2;
  const vouchers = Array.from({ length: count }, () => rng.int(5, 35));
  const parcelas = principal === 'cartao_credito' ? rng.weighted(INSTALMENTS, INSTALMENT_WEIGHTS) : 1;
  return { principal, vouchers, parcelas };
}

/** The payment rows for a paid order; their valor sums to `total` exactly. */
export function splitPayments(total: bigint, plan: PaymentPlan): Payment[] {
  const totalCents = total / CENT;
  const out: Payment[] = [];
  let paid = 0n;
  // Vouchers only when every payment can be at least one cent.
  if (totalCents > BigInt(plan.vouchers.length)) {
    for (const pct of plan.vouchers) {
      let cents = (totalCents * BigInt(pct)) / 100n;
      if (cents < 1n) cents = 1n;
      out.push({ sequencial: out.length + 1, tipo: 'voucher', parcelas: 1, valor: cents * CENT });
      paid += cents * CENT;
    }
  }
  // A fully discounted order with free freight is "paid" by a zero voucher.
  if (total === 0n) return [{ sequencial: 1, tipo: 'voucher', parcelas: 1, valor: 0n }];
  out.push({ sequencial: out.length + 1, tipo: plan.principal, parcelas: plan.parcelas, valor: total - paid });
  return out;
}
