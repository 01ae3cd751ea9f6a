// vendedores: all open their store in the first five days; sellers cluster in the Southeast.
import type { BulkRow } from '../../db/database.js';
import { LOCAIS, PREFIXOS_LOJA, SOBRENOMES, SUFIXOS_LOJA } from '../brazil.js';
import { WeightedTable, type Rng } from '../random.js';
import { pad } from '../text.js';
import { DAY, HOUR, iso } from '../time.js';
import { sortedUniform, type SeedWindow } from './calendar.js';
import { cepOf } from './cep.js';

/** `created` (epoch ms per seller, index = id - 1) is filled in as `rows` is consumed. */
export function generateSellers(rng: Rng, count: number, window: SeedWindow): { rows: Iterable<BulkRow>; created: Float64Array } {
  const created = new Float64Array(count);
  const places = new WeightedTable(
    LOCAIS,
    LOCAIS.map((l) => l.peso * (l.regiao === 'Sudeste' ? 2 : 1)),
  );
  const times = sortedUniform(rng, count, window.start + HOUR, window.start + 5 * DAY);
  function* rows(): Generator<BulkRow> {
    for (let i = 0; i < count; i++) {
      const local = places.pick(rng);
      const surname = rng.pick(SOBRENOMES);
      const nome = rng.chance(0.5) ? `${rng.pick(PREFIXOS_LOJA)} ${surname}` : `${surname} ${rng.pick(SUFIXOS_LOJA)}`;
      created[i] = times[i]!;
      const t = iso(times[i]!);
      yield [i + 1, `VEND-${pad(i + 1, 5)}`, nome, local.cidade, local.uf, cepOf(rng, local), true, t, t];
    }
  }
  return { rows: rows(), created };
}
