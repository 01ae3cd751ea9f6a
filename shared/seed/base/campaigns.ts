// campanhas: spread over the window, 7-45 days each; two in five are coupons.
import type { BulkRow } from '../../db/database.js';
import { formatMoney, fromCents } from '../../model/money.js';
import { TEMAS_CAMPANHA } from '../brazil.js';
import type { CampaignTerms } from '../order-money.js';
import type { Rng } from '../random.js';
import { pad } from '../text.js';
import { DAY, HOUR, iso, startOfDay } from '../time.js';
import { sortedUniform, type SeedWindow } from './calendar.js';

export interface Campaign extends CampaignTerms {
  readonly inicio: number;
  readonly fim: number;
}

/** `campaigns` (in id and start order) is filled in as `rows` is consumed. */
export function generateCampaigns(rng: Rng, count: number, window: SeedWindow): { rows: Iterable<BulkRow>; campaigns: Campaign[] } {
  const campaigns: Campaign[] = [];
  const starts = sortedUniform(rng, count, window.orderStart, window.asOf - 3 * DAY).map((t) => startOfDay(t) + 3 * HOUR);
  function* rows(): Generator<BulkRow> {
    for (let i = 0; i < count; i++) {
      const id = i + 1;
      const inicio = starts[i]!;
      const fim = inicio + rng.int(7, 45) * DAY - 1000;
      const cupom = i % 5 === 1 || i % 5 === 3;
      const percentual = cupom ? null : rng.weighted([500n, 1000n, 1500n, 2000n, 2500n], [3, 4, 3, 2, 1]);
      const valorCupom = cupom ? fromCents(rng.pick([10, 15, 20, 25, 30, 50]) * 100) : null;
      const d = new Date(inicio);
      const tema = rng.pick(TEMAS_CAMPANHA[d.getUTCMonth() + 1]!);
      const nome = `${tema} ${d.getUTCFullYear()} - ${cupom ? `cupom R$ ${formatMoney(valorCupom!, 0)}` : `${Number(percentual) / 100}% off`}`;
      const created = Math.max(window.start + HOUR, inicio - rng.int(1, 10) * DAY);
      const custo = fromCents(rng.int(20, 400) * 10000);
      campaigns.push({ id, tipo: cupom ? 'cupom' : 'percentual', percentual, valorCupom, inicio, fim });
      yield [
        id,
        `CAMP-${pad(id, 4)}`,
        nome,
        cupom ? 'cupom' : 'percentual',
        percentual === null ? null : formatMoney(percentual),
        valorCupom === null ? null : formatMoney(valorCupom),
        iso(inicio),
        iso(fim),
        formatMoney(custo),
        true,
        iso(created),
        iso(created),
      ];
    }
  }
  return { rows: rows(), campaigns };
}
