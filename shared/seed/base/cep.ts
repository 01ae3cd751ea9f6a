// CEP (postal code) prefixes of the base seed's sellers and customers.
import type { Local } from '../brazil.js';
import type { Rng } from '../random.js';
import { pad } from '../text.js';

/** A CEP prefix (5 digits) in the city's range. */
export const cepOf = (rng: Rng, local: Local): string => pad(Math.min(99999, local.cep + rng.int(0, 99)), 5);
