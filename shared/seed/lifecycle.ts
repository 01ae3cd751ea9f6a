// The life of an order: criado -> aprovado -> faturado -> enviado -> entregue, or cancelado
// (before shipping, with or without a payment). The whole timeline is drawn when the order is
// placed; what the OLTP shows "as of" an instant is the last event before it. Old orders are
// therefore mostly delivered, recent ones are still open, and every timestamp column matches
// the status. 'faturado' has no column of its own: it shows only in status and updated_at.
import type { Rng } from './random.js';
import { DAY, HOUR, MINUTE, startOfDay } from './time.js';

export type OrderStatus = 'criado' | 'aprovado' | 'faturado' | 'enviado' | 'entregue' | 'cancelado';

export interface Timeline {
  readonly aprovacao: number | null;
  readonly faturamento: number | null;
  readonly envio: number | null;
  readonly entrega: number | null;
  readonly cancelamento: number | null;
  /** the delivery date promised when the order was placed (a plan: may lie after as-of) */
  readonly prevista: number;
}

export interface OrderState {
  readonly status: OrderStatus;
  readonly dataAprovacao: number | null;
  readonly dataEnvio: number | null;
  readonly dataEntrega: number | null;
  readonly dataCancelamento: number | null;
  readonly dataPrevista: number;
  /** time of the last status change before as-of (the order's updated_at) */
  readonly lastChange: number;
}

export const CANCEL_RATE = 0.055;

/**
 * Draws the timeline of an order placed at `placed`. `boleto` orders clear in hours to days;
 * `transitDays` is the nominal transit time for the shipping mode and region.
 */
export function drawTimeline(rng: Rng, placed: number, boleto: boolean, transitDays: readonly [number, number]): Timeline {
  const r = rng.next();
  const approvalDelay = boleto ? rng.int(6 * HOUR, 3 * DAY) : r < 0.7 ? rng.int(MINUTE, HOUR) : r < 0.95 ? rng.int(HOUR, DAY) : rng.int(DAY, 2 * DAY);
  // Promised date: the slowest nominal transit plus handling, at the start of that day.
  const prevista = startOfDay(placed + (transitDays[1] + 3) * DAY);

  if (rng.chance(CANCEL_RATE)) {
    if (rng.chance(0.4)) {
      const aprovacao = placed + approvalDelay;
      return { aprovacao, faturamento: null, envio: null, entrega: null, cancelamento: aprovacao + rng.int(HOUR, 4 * DAY), prevista };
    }
    return { aprovacao: null, faturamento: null, envio: null, entrega: null, cancelamento: placed + rng.int(2 * HOUR, 5 * DAY), prevista };
  }
  const aprovacao = placed + approvalDelay;
  const faturamento = aprovacao + rng.int(HOUR, 2 * DAY);
  const envio = faturamento + rng.int(2 * HOUR, 3 * DAY);
  // About one delivery in twelve is late (beyond the nominal range).
  const days = rng.int(transitDays[0], transitDays[1]) + (rng.chance(0.08) ? rng.int(3, 10) : 0);
  const entrega = startOfDay(envio + days * DAY) + rng.int(8 * HOUR, 20 * HOUR);
  return { aprovacao, faturamento, envio, entrega, cancelamento: null, prevista };
}

/** What the OLTP shows for the order at `asOf`: only the events strictly before it. */
export function stateAt(t: Timeline, placed: number, asOf: number): OrderState {
  const before = (x: number | null): number | null => (x !== null && x < asOf ? x : null);
  const dataAprovacao = before(t.aprovacao);
  const faturamento = before(t.faturamento);
  const dataEnvio = before(t.envio);
  const dataEntrega = before(t.entrega);
  const dataCancelamento = before(t.cancelamento);
  const [status, lastChange]: [OrderStatus, number] =
    dataCancelamento !== null
      ? ['cancelado', dataCancelamento]
      : dataEntrega !== null
        ? ['entregue', dataEntrega]
        : dataEnvio !== null
          ? ['enviado', dataEnvio]
          : faturamento !== null
            ? ['faturado', faturamento]
            : dataAprovacao !== null
              ? ['aprovado', dataAprovacao]
              : ['criado', placed];
  return { status, dataAprovacao, dataEnvio, dataEntrega, dataCancelamento, dataPrevista: t.prevista, lastChange };
}
