// Quarantine: bad rows of a batch past the reject threshold are kept (with the batch's real
// counts on the error), and a row version already quarantined by an earlier run is not written
// again by an overlapping one (it still counts as rejected for the run).
import { ENTITIES } from '../../shared/pipeline/entities.js';
import { RejectThresholdError, quarantine, stageBatch } from '../../shared/pipeline/staging.js';
import type { BatchStore } from '../../shared/storage/batch-store.js';
import type { Manifest } from '../../shared/storage/batch-manifest.js';
import { freshDatabaseForAll, testEngines } from '../helpers/engines.js';

const pedidos = ENTITIES.find((e) => e.name === 'pedidos')!;
const WINDOW_END = '2024-06-30T12:00:00.000Z';

function order(id: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    codigo: `P${id}`,
    cliente_id: 1,
    status: 'entregue',
    data_pedido: '2024-06-01T10:00:00.000Z',
    data_aprovacao: null,
    data_envio: null,
    data_entrega: null,
    data_entrega_prevista: null,
    data_cancelamento: null,
    valor_produtos: '10.0000',
    valor_desconto: '0.0000',
    valor_frete: '0.0000',
    valor_total: '10.0000',
    campanha_id: null,
    created_at: '2024-06-01T10:00:00.000Z',
    updated_at: '2024-06-01T10:00:00.000Z',
    ...over,
  };
}

/** Fills every column of pedidos the fixture above does not name with null (nullable ones only matter). */
function complete(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(pedidos.table.columns.map((c) => [c.name, c.name in row ? row[c.name] : null]));
}

const store = (rows: Record<string, unknown>[]) =>
  ({
    readBatch: async function* () {
      yield* rows.map(complete);
    },
  }) as unknown as BatchStore;
const manifest = (runId: string, rowCount: number): Manifest => ({
  schemaVersion: 1,
  runId,
  entity: 'pedidos',
  window: { from: null, to: WINDOW_END },
  rowCount,
  parts: [],
  dateRange: null,
  createdAt: WINDOW_END,
});

describe.each(testEngines())('quarantine on $name', (engine) => {
  const dw = freshDatabaseForAll(engine, 'dw');
  const rejectedOf = (runId: string) =>
    dw.database.db.selectFrom('etl.rejected_row').select(['business_key', 'reason']).where('run_id', '=', runId).orderBy('seq').execute();

  it('a batch past the threshold keeps its rejected rows and reports its real counts', async () => {
    const rows = [
      order(1),
      order(2, { status: 'perdido' }),
      order(3, { data_pedido: '2099-01-01T00:00:00.000Z' }),
      order(4),
      order(5, { created_at: '1999-12-31T23:59:59.999Z' }),
    ];
    const error = await stageBatch(dw.database, store(rows), pedidos, manifest('run-threshold', rows.length), 10).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RejectThresholdError);
    const e = error as RejectThresholdError;
    expect({ read: e.read, rejected: e.rejected, accepted: e.accepted, quarantined: e.quarantined }).toEqual({
      read: 5,
      rejected: 3,
      accepted: 2,
      quarantined: true,
    });
    const kept = await rejectedOf('run-threshold');
    expect(kept.map((r) => r.business_key)).toEqual(['2', '3', '5']);
    expect(kept[0]!.reason).toMatch(/^status: unknown order status/);
    expect(kept[1]!.reason).toMatch(/^data_pedido: more than SOURCE_DATE_MAX_FUTURE_HOURS=24 after the window end/);
    expect(kept[2]!.reason).toMatch(/^created_at: before SOURCE_DATE_MIN 2000-01-01/);
  });

  it('under the threshold nothing is written by staging; the load quarantines', async () => {
    const rows = [order(1), order(2, { status: 'perdido' })];
    const counts = await stageBatch(dw.database, store(rows), pedidos, manifest('run-under', 2), 50);
    expect({ read: counts.read, accepted: counts.accepted, rejected: counts.rejected.length }).toEqual({ read: 2, accepted: 1, rejected: 1 });
    expect(await rejectedOf('run-under')).toEqual([]);
  });

  it('an overlapping run does not quarantine the same version again; a newer version is quarantined', async () => {
    const bad = order(7, { status: 'perdido', updated_at: '2024-06-02T00:00:00.000Z' });
    const first = await stageBatch(dw.database, store([order(6), bad]), pedidos, manifest('run-a', 2), 50);
    expect(await dw.database.db.transaction().execute((trx) => quarantine(trx, 'run-a', 'pedidos', first.rejected))).toBe(1);

    const newer = order(7, { status: 'perdido', updated_at: '2024-06-03T00:00:00.000Z' });
    const second = await stageBatch(dw.database, store([bad, order(8, { status: 'x' }), newer]), pedidos, manifest('run-b', 3), 100);
    expect(second.rejected).toHaveLength(3); // all counted as rejected by this run
    expect(await dw.database.db.transaction().execute((trx) => quarantine(trx, 'run-b', 'pedidos', second.rejected))).toBe(2);
    expect((await rejectedOf('run-b')).map((r) => r.business_key)).toEqual(['8', '7']);
    // a retry of run-b replaces its own rows, it does not skip them as "already quarantined"
    expect(await dw.database.db.transaction().execute((trx) => quarantine(trx, 'run-b', 'pedidos', second.rejected))).toBe(2);
    expect(await rejectedOf('run-a')).toHaveLength(1);
  });
});
