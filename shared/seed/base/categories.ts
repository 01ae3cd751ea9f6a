// categorias: the fixed two-level tree of brazil.ts, parents first, then their children (products
// reference children), created a minute apart as the shop opens.
import type { BulkRow } from '../../db/database.js';
import { CATEGORIAS, type Subcategoria } from '../brazil.js';
import { iso, MINUTE } from '../time.js';

export interface ChildCategory {
  readonly id: number;
  readonly sub: Subcategoria;
}

export function generateCategories(start: number): { rows: BulkRow[]; children: ChildCategory[] } {
  const rows: BulkRow[] = [];
  const children: ChildCategory[] = [];
  let id = 0;
  for (const parent of CATEGORIAS) {
    const t = iso(start + ++id * MINUTE);
    rows.push([id, parent.codigo, parent.nome, null, t, t]);
  }
  for (let p = 0; p < CATEGORIAS.length; p++) {
    for (const sub of CATEGORIAS[p]!.filhas) {
      const t = iso(start + ++id * MINUTE);
      children.push({ id, sub });
      rows.push([id, sub.codigo, sub.nome, p + 1, t, t]);
    }
  }
  return { rows, children };
}
