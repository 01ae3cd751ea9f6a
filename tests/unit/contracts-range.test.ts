// Row contracts, the part the warehouse cannot fix later: a known order status, and dates in a
// sane range (not before SOURCE_DATE_MIN; events not more than SOURCE_DATE_MAX_FUTURE_HOURS after
// the batch's window end; planned dates such as a campaign's end may lie in the future).
import { checkRow, dateRangeIssues, entity } from '../../shared/pipeline/entities.js';
import { ORDER_STATUSES } from '../../shared/model/oltp-tables.js';

const END = '2024-06-30T12:00:00.000Z';
const pedidos = entity('pedidos')!;
const campanhas = entity('campanhas')!;
const order = (over: Record<string, unknown> = {}) => ({
  ...Object.fromEntries(pedidos.table.columns.map((c) => [c.name, null])),
  id: 1,
  codigo: 'P1',
  cliente_id: 1,
  status: 'entregue',
  data_pedido: '2024-06-01T10:00:00.000Z',
  valor_produtos: '1.0000',
  valor_desconto: '0.0000',
  valor_frete: '0.0000',
  valor_total: '1.0000',
  created_at: '2024-06-01T10:00:00.000Z',
  updated_at: '2024-06-01T10:00:00.000Z',
  ...over,
});
const reason = (r: ReturnType<typeof checkRow>) => (r.ok ? 'accepted' : r.reason);

describe('order status', () => {
  it('accepts every known status and rejects any other, naming the column', () => {
    for (const status of ORDER_STATUSES) expect(reason(checkRow(pedidos, order({ status }), END))).toBe('accepted');
    expect(reason(checkRow(pedidos, order({ status: 'ENTREGUE' }), END))).toMatch(/^status: unknown order status/);
    expect(reason(checkRow(pedidos, order({ status: '' }), END))).toMatch(/^status: unknown order status/);
  });
});

describe('date range', () => {
  it('rejects an order dated 2099 and one before 2000, with the reason; the edges are accepted', () => {
    expect(reason(checkRow(pedidos, order({ data_pedido: '2099-01-01T00:00:00.000Z' }), END))).toBe(
      `data_pedido: more than SOURCE_DATE_MAX_FUTURE_HOURS=24 after the window end ${END}`,
    );
    expect(reason(checkRow(pedidos, order({ data_entrega: '1999-12-31T23:59:59.999Z' }), END))).toBe('data_entrega: before SOURCE_DATE_MIN 2000-01-01');
    expect(reason(checkRow(pedidos, order({ data_pedido: '2024-07-01T12:00:00.000Z' }), END))).toBe('accepted'); // exactly 24 h after
    expect(reason(checkRow(pedidos, order({ data_pedido: '2024-07-01T12:00:00.001Z' }), END))).toMatch(/^data_pedido: more than/);
    expect(reason(checkRow(pedidos, order({ data_pedido: '2000-01-01T00:00:00.000Z' }), END))).toBe('accepted');
  });

  it('takes its limits from the settings', () => {
    const limits = { SOURCE_DATE_MIN: new Date('2020-01-01T00:00:00.000Z'), SOURCE_DATE_MAX_FUTURE_HOURS: 0 };
    expect(dateRangeIssues(pedidos, order({ data_pedido: '2019-06-01T00:00:00.000Z' }), END, limits)).toEqual([
      'data_pedido: before SOURCE_DATE_MIN 2020-01-01',
    ]);
    expect(dateRangeIssues(pedidos, order({ data_pedido: '2024-06-30T12:00:00.001Z' }), END, limits)).toHaveLength(1);
  });

  it('lets planned dates lie in the future (a campaign ending next year, an expected delivery) but not before the minimum', () => {
    const campaign = {
      inicio: '2024-06-01T00:00:00.000Z',
      fim: '2030-01-01T00:00:00.000Z',
      created_at: '2024-06-01T00:00:00.000Z',
      updated_at: '2024-06-01T00:00:00.000Z',
    };
    expect(dateRangeIssues(campanhas, campaign, END)).toEqual([]);
    expect(dateRangeIssues(campanhas, { ...campaign, inicio: '1990-01-01T00:00:00.000Z' }, END)).toEqual(['inicio: before SOURCE_DATE_MIN 2000-01-01']);
    expect(dateRangeIssues(pedidos, order({ data_entrega_prevista: '2030-01-01T00:00:00.000Z' }), END)).toEqual([]);
  });
});
