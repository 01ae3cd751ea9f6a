// The contract every extracted row must meet before it is staged (DESIGN §4.5): a good row passes
// in the form staging writes, and each kind of bad row is refused with a reason naming its column.
import { ENTITIES, entity, rejectionReason } from '../../shared/pipeline/entities.js';

const stamps = { created_at: '2026-10-01T03:00:00.000Z', updated_at: '2026-10-01T03:00:00.000Z' };
const item = {
  id: 1,
  pedido_id: 2,
  numero_item: 1,
  produto_id: 3,
  vendedor_id: 4,
  campanha_id: null,
  quantidade: 2,
  preco_unitario: '10.5000',
  valor_bruto: '21.0000',
  percentual_desconto: null,
  valor_desconto: '0.0000',
  valor_liquido: '21.0000',
  valor_frete: '1.2500',
  custo_total: null,
  deleted_at: null,
  ...stamps,
};
const target = { id: 7, vendedor_id: 4, mes: '2026-10-01', valor_meta: '50000.0000', quantidade_meta: null, ...stamps };

/** The reason a row is refused for, or 'accepted'. */
function verdict(entityName: string, row: unknown): string {
  const parsed = entity(entityName)!.contract.safeParse(row);
  return parsed.success ? 'accepted' : rejectionReason(parsed.error);
}

describe('row contracts', () => {
  it('accept a good row as it is, nullable columns null', () => {
    expect(entity('itens_pedido')!.contract.parse(item)).toEqual(item);
    expect(verdict('metas', target)).toBe('accepted');
  });

  it('accept ids that a driver sent as text, as numbers', () => {
    expect(entity('itens_pedido')!.contract.parse({ ...item, id: '9007199254740991' }).id).toBe(9007199254740991);
  });

  it('accept money as a number and stage it as a decimal string', () => {
    expect(entity('itens_pedido')!.contract.parse({ ...item, valor_frete: 1.25 }).valor_frete).toBe('1.25');
  });

  it.each([
    ['a negative amount', { valor_liquido: '-0.0100' }, 'valor_liquido: must not be negative'],
    ['a quantity of zero', { quantidade: 0 }, 'quantidade: must be positive'],
    ['more than 4 decimal places', { valor_bruto: '21.00001' }, 'valor_bruto: not a decimal(19,4)'],
    ['more than 15 integer digits', { valor_bruto: '1234567890123456' }, 'valor_bruto: not a decimal(19,4)'],
    ['a timestamp with an offset', { updated_at: '2026-10-01T03:00:00+02:00' }, 'updated_at: not a UTC ISO-8601 timestamp'],
    ['a timestamp without a zone', { deleted_at: '2026-10-01T03:00:00' }, 'deleted_at: not a UTC ISO-8601 timestamp'],
  ])('refuse an item with %s', (_name, change, reason) => {
    expect(verdict('itens_pedido', { ...item, ...change })).toBe(reason);
  });

  it('refuse ids beyond what a JavaScript number holds exactly', () => {
    expect(verdict('itens_pedido', { ...item, id: '9007199254740993' })).toMatch(/^id: .*not a safe integer$/);
  });

  it('refuse a missing or null required column, naming it', () => {
    const { pedido_id: _, ...withoutOrder } = item;
    expect(verdict('itens_pedido', withoutOrder)).toMatch(/^pedido_id: /);
    expect(verdict('itens_pedido', { ...item, produto_id: null })).toMatch(/^produto_id: /);
  });

  it('refuse text longer than its column and a month that is not a date', () => {
    const long = { id: 1, codigo: 'C1', nome: 'x'.repeat(121), categoria_pai_id: null, ...stamps };
    expect(verdict('categorias', long)).toBe('nome: longer than 120 characters');
    expect(verdict('metas', { ...target, mes: '2026-10' })).toBe('mes: not a YYYY-MM-DD date');
  });

  it('list every broken column of a row in one reason', () => {
    expect(verdict('itens_pedido', { ...item, quantidade: -1, preco_unitario: 'abc' })).toBe(
      'preco_unitario: not a decimal(19,4); quantidade: must be positive',
    );
    expect(verdict('metas', { ...target, valor_meta: '-1', quantidade_meta: -3 })).toBe(
      'valor_meta: must not be negative; quantidade_meta: must not be negative',
    );
  });

  it('refuse something that is not a row', () => {
    expect(verdict('metas', null)).toMatch(/^\(row\): /);
    expect(verdict('metas', [target])).toMatch(/^\(row\): /);
  });

  it('exist for every entity the pipeline extracts', () => {
    expect(ENTITIES.map((e) => e.name)).toEqual([
      'categorias',
      'vendedores',
      'clientes',
      'produtos',
      'campanhas',
      'pedidos',
      'itens_pedido',
      'pagamentos',
      'metas',
    ]);
  });
});
