// clientes: a quarter registered while the shop opened, the rest arrive with the order volume.
import type { BulkRow } from '../../db/database.js';
import { LOCAIS, PESOS_SEGMENTO, PRIMEIROS_NOMES, SEGMENTOS, SOBRENOMES } from '../brazil.js';
import { WeightedTable, type Rng } from '../random.js';
import { ascii, pad } from '../text.js';
import { HOUR, iso, spread } from '../time.js';
import { instants, orderDays, sortedUniform, type SeedWindow } from './calendar.js';
import { cepOf } from './cep.js';

/**
 * `created` (epoch ms) and `local` (index into LOCAIS) per customer (index = id - 1) are
 * filled in as `rows` is consumed; ids ascend with the sign-up time.
 */
export function generateCustomers(rng: Rng, count: number, window: SeedWindow): { rows: Iterable<BulkRow>; created: Float64Array; local: Uint16Array } {
  const created = new Float64Array(count);
  const localOf = new Uint16Array(count);
  const places = new WeightedTable(
    LOCAIS.map((_, i) => i),
    LOCAIS.map((l) => l.peso),
  );
  const early = Math.round(count * 0.25);
  const { days, weights } = orderDays(window.orderStart, window.asOf);
  const times = (function* () {
    yield* sortedUniform(rng, early, window.start + HOUR, window.orderStart);
    yield* instants(rng, days, spread(count - early, weights), window.asOf);
  })();
  function* rows(): Generator<BulkRow> {
    let i = 0;
    for (const time of times) {
      const place = places.pick(rng);
      const local = LOCAIS[place]!;
      const first = rng.pick(PRIMEIROS_NOMES);
      const last = rng.pick(SOBRENOMES);
      const nome = rng.chance(0.5) ? `${first} ${rng.pick(SOBRENOMES)} ${last}` : `${first} ${last}`;
      const email = `${ascii(first)}.${ascii(last)}${i + 1}@${rng.pick(['example.com', 'example.net', 'example.org'])}`;
      const segmento = rng.weighted(SEGMENTOS, PESOS_SEGMENTO);
      created[i] = time;
      localOf[i] = place;
      const t = iso(time);
      i++;
      yield [i, `CLI-${pad(i, 8)}`, nome, email, segmento, local.cidade, local.uf, local.regiao, cepOf(rng, local), true, t, t];
    }
  }
  return { rows: rows(), created, local: localOf };
}
