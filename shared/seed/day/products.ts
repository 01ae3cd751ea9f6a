// The products the incremental day looks at: read from the OLTP once each, in the order the
// planners draw them. The price change updates its entry, so the day's new orders sell that
// product at its new list price.

export interface DayProduct {
  /** list price, money units */
  readonly preco: bigint;
  /** unit cost, money units (0 when unknown) */
  readonly custo: bigint;
  /** grams (500 when unknown) */
  readonly peso: number;
  readonly categoria: number;
}

export class DayProducts {
  private readonly byId = new Map<number, DayProduct>();

  /** `read` returns the products of the ids it is given (missing ids are left out). */
  constructor(private readonly read: (ids: number[]) => Promise<Map<number, DayProduct>>) {}

  async load(ids: readonly number[]): Promise<void> {
    const want = ids.filter((id) => !this.byId.has(id));
    if (want.length === 0) return;
    for (const [id, p] of await this.read(want)) this.byId.set(id, p);
  }

  get(id: number): DayProduct | undefined {
    return this.byId.get(id);
  }

  set(id: number, product: DayProduct): void {
    this.byId.set(id, product);
  }
}
