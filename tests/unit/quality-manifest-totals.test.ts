// The manifest's control totals (batch-manifest.ts): which columns have one, and that manifests
// written before them still validate (old runs replay) while a malformed total does not.
import { OLTP } from '../../shared/model/oltp-tables.js';
import { manifestSchema, totalledColumns } from '../../shared/storage/batch-manifest.js';

const manifest = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  format: 'pg-copy-text',
  columns: ['id', 'valor'],
  runId: 'r1',
  entity: 'pagamentos',
  window: { from: null, to: '2024-06-30T12:00:00.000Z' },
  rowCount: 2,
  parts: [],
  dateRange: null,
  createdAt: '2024-06-30T12:00:01.000Z',
  ...extra,
});

describe('manifest control totals', () => {
  it('are kept for the money columns (decimal(19,4)), not for rates (decimal(7,4)) or other kinds', () => {
    expect(totalledColumns(OLTP.itens_pedido.columns)).toEqual([
      'preco_unitario',
      'valor_bruto',
      'valor_desconto',
      'valor_liquido',
      'valor_frete',
      'custo_total',
    ]);
    expect(totalledColumns(OLTP.campanhas.columns)).toEqual(['valor_cupom', 'custo']);
    expect(totalledColumns(OLTP.clientes.columns)).toEqual([]);
    expect(totalledColumns([{ name: 'x', kind: 'decimal' }])).toEqual(['x']);
  });

  it('are optional: manifests of schemaVersion 1 and 2 written before them validate', () => {
    expect(manifestSchema.safeParse(manifest()).success).toBe(true);
    const { format: _f, columns: _c, ...v1 } = manifest({ schemaVersion: 1 });
    expect(manifestSchema.safeParse(v1).success).toBe(true);
    expect(manifestSchema.parse(manifest({ totals: { valor: '-12.3400' } })).totals).toEqual({ valor: '-12.3400' });
  });

  it('must be exact decimal text with 4 places', () => {
    for (const bad of ['12.34', '12', 12.34, '1e3', '12.34000']) expect(manifestSchema.safeParse(manifest({ totals: { valor: bad } })).success).toBe(false);
  });
});
