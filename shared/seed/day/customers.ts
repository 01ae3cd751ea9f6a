// The incremental day's customers: a few move to another state (SCD2 on dim_cliente), and new
// ones sign up (right before their first order, or as the late row).
import type { Regiao } from '../brazil.js';
import { LOCAIS, PESOS_SEGMENTO, PRIMEIROS_NOMES, SEGMENTOS, SOBRENOMES } from '../brazil.js';
import type { Rng } from '../random.js';
import { WeightedTable } from '../random.js';
import { ascii, pad } from '../text.js';
import { MINUTE } from '../time.js';
import { instant, type PlannedInsert, type PlannedUpdate } from './planned-writes.js';

/** Where a customer lives, as the OLTP holds it (regiao may be missing on imported rows). */
export interface Residence {
  readonly cidade: string;
  readonly estado: string;
  readonly regiao: Regiao | null;
}

export interface Move {
  readonly id: number;
  readonly cidade: string;
  readonly estado: string;
}

/** Cities weighted by population: where movers and new customers live. */
export const PLACES = new WeightedTable(
  LOCAIS,
  LOCAIS.map((l) => l.peso),
);

/** Each mover (in id order) moves to a city in another state at an instant in the window. */
export function planMoves(
  rng: Rng,
  moverIds: readonly number[],
  residences: ReadonlyMap<number, Residence>,
  windowStart: number,
): { writes: PlannedUpdate[]; moves: Move[] } {
  const writes: PlannedUpdate[] = [];
  const moves: Move[] = [];
  for (const id of [...moverIds].sort((a, b) => a - b)) {
    const now = residences.get(id);
    if (!now) continue;
    let dest = PLACES.pick(rng);
    for (let tries = 0; dest.uf === now.estado && tries < 20; tries++) dest = PLACES.pick(rng);
    if (dest.uf === now.estado) dest = LOCAIS.find((l) => l.uf !== now.estado)!;
    const when = windowStart + rng.int(2 * MINUTE, 58 * MINUTE);
    moves.push({ id, cidade: dest.cidade, estado: dest.uf });
    writes.push({
      kind: 'update',
      table: 'clientes',
      id,
      why: `moved ${now.estado} -> ${dest.uf}`,
      set: { cidade: dest.cidade, estado: dest.uf, regiao: dest.regiao, cep_prefixo: pad(dest.cep + rng.int(0, 99), 5), updated_at: instant(when) },
      expect: { cidade: now.cidade, estado: now.estado },
    });
  }
  return { writes, moves };
}

/** A customer who signs up shortly (1 s to 2 min) before placing an order at `placed`. */
export function planNewCustomer(rng: Rng, id: number, placed: number): { write: PlannedInsert; residence: Residence & { regiao: Regiao } } {
  const local = PLACES.pick(rng);
  const first = rng.pick(PRIMEIROS_NOMES);
  const last = rng.pick(SOBRENOMES);
  const created = placed - rng.int(1000, 120_000);
  const write: PlannedInsert = {
    kind: 'insert',
    table: 'clientes',
    row: {
      id,
      codigo: `CLI-${pad(id, 8)}`,
      nome: `${first} ${last}`,
      email: `${ascii(first)}.${ascii(last)}${id}@example.com`,
      segmento: rng.weighted(SEGMENTOS, PESOS_SEGMENTO),
      cidade: local.cidade,
      estado: local.uf,
      regiao: local.regiao,
      cep_prefixo: pad(local.cep + rng.int(0, 99), 5),
      ativo: true,
      created_at: instant(created),
      updated_at: instant(created),
    },
  };
  return { write, residence: { cidade: local.cidade, estado: local.uf, regiao: local.regiao } };
}

/** A sign-up with no e-mail yet, created at `at` (the late row when no open order can move on). */
export function planLateSignUp(rng: Rng, id: number, at: number): PlannedInsert {
  const local = PLACES.pick(rng);
  return {
    kind: 'insert',
    table: 'clientes',
    row: {
      id,
      codigo: `CLI-${pad(id, 8)}`,
      nome: `${rng.pick(PRIMEIROS_NOMES)} ${rng.pick(SOBRENOMES)}`,
      email: null,
      segmento: 'Consumidor',
      cidade: local.cidade,
      estado: local.uf,
      regiao: local.regiao,
      cep_prefixo: pad(local.cep, 5),
      ativo: true,
      created_at: instant(at),
      updated_at: instant(at),
    },
  };
}
