// Text helpers shared by the base seed and the incremental day, so both write codes and e-mail
// addresses the same way.

/** A zero-padded number: pad(42, 5) = '00042' (codes like CLI-00000042, CEP prefixes). */
export const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** A name as the local part of an e-mail address: no accents, lower case, letters and digits only. */
export const ascii = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
