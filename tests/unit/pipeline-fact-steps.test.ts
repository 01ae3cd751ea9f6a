// The fact load's declared steps: every fact entity of a run is staged, loaded and given its
// watermark by exactly one step, in an order where what a step reads is already loaded.
import { ENTITIES } from '../../shared/pipeline/entities.js';
import { FACT_STEPS } from '../../shared/pipeline/facts/steps.js';

describe('FACT_STEPS', () => {
  it('stages every entity the fact load owns exactly once, and nothing else', () => {
    const staged = FACT_STEPS.flatMap((s) => s.stages);
    expect([...staged].sort()).toEqual(
      ENTITIES.filter((e) => e.loadedBy === 'facts')
        .map((e) => e.name)
        .sort(),
    );
  });

  it('loads orders and items in one step, so a sale is recomputed from both in one transaction', () => {
    expect(FACT_STEPS.filter((s) => s.stages.includes('pedidos') || s.stages.includes('itens_pedido')).map((s) => s.stages)).toEqual([
      ['pedidos', 'itens_pedido'],
    ]);
  });

  it('re-keys last, after every step that writes facts', () => {
    const last = FACT_STEPS[FACT_STEPS.length - 1]!;
    expect([last.name, last.stages]).toEqual(['rekey', []]);
    expect(FACT_STEPS.filter((s) => s.stages.length === 0)).toEqual([last]);
  });
});
