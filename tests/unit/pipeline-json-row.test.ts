// A source row as a batch line: what the loads and the row contracts will read back.
import { entity } from '../../shared/pipeline/entities.js';
import { toJsonRow } from '../../shared/pipeline/json-row.js';

describe('toJsonRow', () => {
  it('writes timestamps as UTC ISO-8601, dates as YYYY-MM-DD, bigint ids as numbers and decimals as the exact text', () => {
    const row = toJsonRow(entity('metas')!, {
      id: 12n,
      vendedor_id: 4,
      mes: new Date('2026-10-01T00:00:00Z'),
      valor_meta: '50000.1234',
      quantidade_meta: null,
      created_at: new Date('2026-10-01T03:04:05.678Z'),
      updated_at: new Date('2026-10-02T00:00:00Z'),
    });
    expect(row).toEqual({
      id: 12,
      vendedor_id: 4,
      mes: '2026-10-01',
      valor_meta: '50000.1234',
      quantidade_meta: null,
      created_at: '2026-10-01T03:04:05.678Z',
      updated_at: '2026-10-02T00:00:00.000Z',
    });
    // and that line meets the entity's contract
    expect(entity('metas')!.contract.safeParse(row).success).toBe(true);
  });

  it('keeps exactly the columns of the entity, in their order: extra driver columns are dropped, missing ones are null', () => {
    const row = toJsonRow(entity('pagamentos')!, { id: 1, pedido_id: 2, extra: 'x', valor: '9.9900' });
    expect(Object.keys(row)).toEqual(['id', 'pedido_id', 'sequencial', 'tipo', 'parcelas', 'valor', 'created_at', 'updated_at']);
    expect(row).toMatchObject({ sequencial: null, tipo: null, valor: '9.9900' });
    expect(row).not.toHaveProperty('extra');
  });
});
