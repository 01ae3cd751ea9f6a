// The incremental day's planners decide rows without a database: what each kind of change
// writes, and the premises (expect) its update relies on.
import { formatMoney, fromCents, parseMoney } from '../../shared/model/money.js';
import { planCategoryChange, planNewCampaign, planPriceChange } from '../../shared/seed/day/catalogue.js';
import { planLateSignUp, planMoves } from '../../shared/seed/day/customers.js';
import { pickOpenOrders, planCancellations, planLateStatusChange, planStatusAdvances, type OpenOrder } from '../../shared/seed/day/orders.js';
import { changesOf, idsAfter } from '../../shared/seed/day/planned-writes.js';
import { SeedError } from '../../shared/seed/errors.js';
import { Rng } from '../../shared/seed/random.js';

const AT = Date.parse('2026-03-01T09:30:00.000Z');
const rng = (n: number) => new Rng(`unit/${n}`);

describe('incremental day planners', () => {
  it('plan the day campaign, marked DIA-<date>, as a percentage or a coupon', () => {
    const kinds = new Set<string>();
    for (let n = 0; n < 20; n++) {
      const { write, terms } = planNewCampaign(rng(n), 7, '2026-03-01', AT);
      expect(write.row).toMatchObject({ id: 7, codigo: 'DIA-2026-03-01', nome: 'Oferta do Dia 01/03/2026', inicio: { ms: AT } });
      expect((terms.percentual === null) !== (terms.valorCupom === null)).toBe(true);
      kinds.add(terms.tipo);
    }
    expect(kinds).toEqual(new Set(['percentual', 'cupom']));
  });

  it('change a list price by 5-20%, to another x,90 price above cost, premised on the old price', () => {
    for (let n = 0; n < 50; n++) {
      const product = { preco: fromCents(19990), custo: fromCents(15000), peso: 500, categoria: 4 };
      const { write, preco } = planPriceChange(rng(n), 3, product, AT);
      expect(write.expect).toEqual({ preco_lista: '199.9000' });
      expect(write.set.preco_lista).toBe(formatMoney(preco));
      expect(preco).not.toBe(product.preco);
      expect(preco > product.custo).toBe(true);
      expect(Number(preco % fromCents(100))).toBe(Number(fromCents(90)));
    }
  });

  it('move a product to another child category, and refuse when there is none', () => {
    const product = { preco: fromCents(990), custo: 0n, peso: 500, categoria: 4 };
    const write = planCategoryChange(rng(1), 3, product, [4, 5], AT);
    expect(write.set.categoria_id).toBe(5);
    expect(write.expect).toEqual({ categoria_id: 4 });
    expect(() => planCategoryChange(rng(1), 3, product, [4], AT)).toThrow(SeedError);
  });

  it('pick disjoint open orders: cancellations only before invoicing, a paid order for the late row', () => {
    const open: OpenOrder[] = Array.from({ length: 40 }, (_, i) => ({
      id: i + 1,
      status: (['criado', 'aprovado', 'faturado', 'enviado'] as const)[i % 4]!,
      total: fromCents(10000),
    }));
    const picked = pickOpenOrders(rng(3), open, { cancelamentos: 3, avancos: 10 });
    const ids = [...picked.cancel, picked.late!, ...picked.advance].map((o) => o.id);
    expect(new Set(ids).size).toBe(14);
    expect(picked.cancel.every((o) => o.status === 'criado' || o.status === 'aprovado')).toBe(true);
    expect(picked.late!.status).not.toBe('criado');
  });

  it('stamp status changes and cancellations at one instant; an order that becomes paid gets payments adding up to its total', () => {
    const orders: OpenOrder[] = [
      { id: 9, status: 'enviado', total: fromCents(5000) },
      { id: 2, status: 'criado', total: fromCents(12345) },
    ];
    const { statusWrites, paymentWrites } = planStatusAdvances(rng(4), orders, AT, idsAfter(100));
    expect(statusWrites.map((w) => [w.id, w.set])).toEqual([
      [2, { status: 'aprovado', data_aprovacao: { ms: AT }, updated_at: { ms: AT } }],
      [9, { status: 'entregue', data_entrega: { ms: AT }, updated_at: { ms: AT } }],
    ]);
    expect(paymentWrites.map((p) => p.row.id)).toEqual(paymentWrites.map((_, i) => 101 + i));
    expect(paymentWrites.every((p) => p.row.pedido_id === 2)).toBe(true);
    expect(paymentWrites.reduce((sum, p) => sum + parseMoney(String(p.row.valor)), 0n)).toBe(fromCents(12345));
    const [cancel] = planCancellations([{ id: 5, status: 'aprovado', total: 0n }], AT);
    expect(cancel).toMatchObject({ id: 5, set: { status: 'cancelado', data_cancelamento: { ms: AT } }, expect: { status: 'aprovado' } });
  });

  it('move customers to another state, and write a late row either as a status change or a sign-up', () => {
    const residences = new Map([
      [1, { cidade: 'São Paulo', estado: 'SP', regiao: 'Sudeste' as const }],
      [2, { cidade: 'Recife', estado: 'PE', regiao: null }],
    ]);
    const { writes, moves } = planMoves(rng(5), [2, 1, 3], residences, AT);
    expect(moves.map((m) => m.id)).toEqual([1, 2]);
    for (const w of writes) expect(w.set.estado).not.toBe(w.expect.estado);
    expect(writes.map((w) => w.expect)).toEqual([
      { cidade: 'São Paulo', estado: 'SP' },
      { cidade: 'Recife', estado: 'PE' },
    ]);

    const late = planLateStatusChange({ id: 4, status: 'faturado', total: 0n }, AT);
    expect(late).toMatchObject({ why: 'faturado -> enviado (late commit)', set: { status: 'enviado', data_envio: { ms: AT } } });
    const signUp = planLateSignUp(rng(6), 77, AT);
    expect(signUp.row).toMatchObject({ id: 77, codigo: 'CLI-00000077', email: null, created_at: { ms: AT } });
    expect(changesOf([late, signUp, late]).pedidos).toEqual({ inserted: [], updated: [4] });
    expect(changesOf([late, signUp]).clientes).toEqual({ inserted: [77], updated: [] });
  });
});
