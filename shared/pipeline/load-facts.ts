// The fact step of a run (queue trigger on load-facts), the run's last step. In dependency
// order, each in its own transaction together with the watermarks of the entities it consumes:
//   1. orders + items  -> ods copies, fact_vendas and fact_descontos for every affected order
//   2. payments        -> ods copy
//   3. targets         -> fact_metas
//   4. re-key facts that pointed to unknown members whose rows have now arrived
// A failure rolls back its transaction (facts and watermarks unchanged) and fails the run; the
// queue retries the message, and a retry converges to the same facts (every write is an
// idempotent upsert). At the end the run is marked succeeded, its volume report stored and the
// pipeline lease released.
import type { Transaction } from 'kysely';
import type { Manifest } from '../storage/batch-manifest.js';
import type { PipelineContext } from './context.js';
import { entity, type EntityName } from './entities.js';
import { upsertOds } from './facts/ods.js';
import { rekeyFacts } from './facts/rekey.js';
import { loadSales } from './facts/sales.js';
import { loadTargets } from './facts/targets.js';
import { releaseLease } from './lease.js';
import type { LoadMessage } from './messages.js';
import { errorText, finishRun, finishStep, startStep, type StepCounts } from './run-audit.js';
import { readRunReport } from './run-report.js';
import { quarantine, stageBatch, type RejectedRow } from './staging.js';
import { openLoadStep } from './load-step.js';
import { retryStep } from './step-retry.js';
import { advanceWatermark } from './watermark.js';

/** Test seam: lets a test fail the fact load half-way to prove the rollback. Never set in production. */
export const factFaults: { afterSales?: (trx: Transaction<any>) => Promise<void> } = {};

interface Staged {
  entity: EntityName;
  manifest: Manifest;
  read: number;
  staged: number;
  rejected: RejectedRow[];
  started: number;
}

export async function loadFacts(ctx: PipelineContext, message: LoadMessage): Promise<void> {
  const { dw, store, settings, log } = ctx;
  const { runId } = message;
  let current = '';
  try {
    const manifests = await openLoadStep(ctx, message);

    // Stage (outside the transactions: bulk paths use their own connection) one entity at a time.
    const stage = async (name: EntityName): Promise<Staged | null> => {
      const manifest = manifests.get(name);
      // an entity absent from this run (a backfill of some entities) is emptied from staging so
      // "affected orders" only covers this run's rows
      if (!manifest) {
        await dw.db.deleteFrom(`stg.${name}`).execute();
        return null;
      }
      current = name;
      const started = performance.now();
      await startStep(dw.db, runId, 'facts', name, { from: manifest.window.from ? new Date(manifest.window.from) : null, to: new Date(manifest.window.to) });
      const s = await stageBatch(dw, store, entity(name)!, manifest, settings.REJECT_THRESHOLD_PERCENT);
      return { entity: name, manifest, ...s, started };
    };
    const commit = async (trx: Transaction<any>, staged: Staged) => {
      await quarantine(trx, runId, staged.entity, staged.rejected);
      if (message.kind === 'daily') await advanceWatermark(trx, staged.entity, new Date(staged.manifest.window.to), runId);
    };
    const finish = async (staged: Staged, counts: StepCounts) => {
      await finishStep(dw.db, runId, 'facts', staged.entity, 'succeeded', {
        rows_read: staged.read,
        rows_loaded: staged.staged,
        rows_rejected: staged.rejected.length,
        ...counts,
      });
      if (staged.rejected.length > 0)
        log.warn('rows quarantined', { runId, entity: staged.entity, rejected: staged.rejected.length, firstReason: staged.rejected[0]?.reason });
      log.info('facts loaded', {
        runId,
        entity: staged.entity,
        read: staged.read,
        rejected: staged.rejected.length,
        ...counts,
        ms: Math.round(performance.now() - staged.started),
      });
    };
    const unchanged = (s: Staged, c: { inserted: number; updated: number }) => Math.max(0, s.staged - c.inserted - c.updated);

    const retrying = <T>(entityName: string, op: () => Promise<T>) => retryStep(ctx, { runId, step: 'facts', entity: entityName }, op);

    // 1. orders and items -> sales and discounts
    const { orders, items, sales } = await retrying('itens_pedido', async () => {
      const orders = await stage('pedidos');
      const items = await stage('itens_pedido');
      current = 'itens_pedido';
      const sales = await dw.db.transaction().execute(async (trx) => {
        const ods = { pedidos: { inserted: 0, updated: 0 }, itens_pedido: { inserted: 0, updated: 0 } };
        if (orders) ods.pedidos = await upsertOds(trx, entity('pedidos')!);
        if (items) ods.itens_pedido = await upsertOds(trx, entity('itens_pedido')!);
        const result = await loadSales(trx, runId);
        await factFaults.afterSales?.(trx);
        for (const s of [orders, items]) if (s) await commit(trx, s);
        return { ods, ...result };
      });
      return { orders, items, sales };
    });
    if (orders)
      await finish(orders, {
        rows_inserted: sales.ods.pedidos.inserted,
        rows_updated: sales.ods.pedidos.updated,
        rows_unchanged: unchanged(orders, sales.ods.pedidos),
      });
    if (items)
      await finish(items, { rows_inserted: sales.vendas.inserted, rows_updated: sales.vendas.updated, rows_unchanged: unchanged(items, sales.vendas) });
    if (orders || items) log.info('discount facts', { runId, ...sales.descontos });

    // 2. payments, 3. targets: each staged and committed with its watermark
    const simple = async (name: 'pagamentos' | 'metas', load: (trx: Transaction<any>) => Promise<{ inserted: number; updated: number }>) => {
      const done = await retrying(name, async () => {
        const staged = await stage(name);
        if (!staged) return null;
        const c = await dw.db.transaction().execute(async (trx) => {
          const r = await load(trx);
          await commit(trx, staged);
          return r;
        });
        return { staged, c };
      });
      if (done) await finish(done.staged, { rows_inserted: done.c.inserted, rows_updated: done.c.updated, rows_unchanged: unchanged(done.staged, done.c) });
    };
    await simple('pagamentos', (trx) => upsertOds(trx, entity('pagamentos')!));
    await simple('metas', (trx) => loadTargets(trx, runId));

    // 4. late-arriving members
    current = 'rekey';
    const rekeyed = await retrying('rekey', () => dw.db.transaction().execute((trx) => rekeyFacts(trx)));
    for (const [name, n] of [
      ['itens_pedido', rekeyed.fact_vendas],
      ['metas', rekeyed.fact_metas],
    ] as const) {
      if (n > 0)
        await dw.db
          .updateTable('etl.run_step')
          .set({ rows_rekeyed: n })
          .where('run_id', '=', runId)
          .where('step', '=', 'facts')
          .where('entity', '=', name)
          .execute();
    }
    log.info('facts re-keyed', { runId, ...rekeyed });

    const report = await readRunReport(dw.db, runId);
    await finishRun(dw.db, runId, 'succeeded', undefined, { steps: report?.steps, rekeyed, descontos: sales.descontos });
    await releaseLease(dw.db, runId);
    log.info('run succeeded', {
      runId,
      steps: report?.steps.map((s) => ({
        step: s.step,
        entity: s.entity,
        read: s.read,
        inserted: s.inserted,
        updated: s.updated,
        unchanged: s.unchanged,
        rejected: s.rejected,
        rekeyed: s.rekeyed,
        ms: s.ms,
      })),
    });
  } catch (e) {
    log.error('fact load failed', { runId, entity: current, error: errorText(e) });
    if (current && current !== 'rekey') await finishStep(dw.db, runId, 'facts', current, 'failed', {}, e).catch(() => undefined);
    await finishRun(dw.db, runId, 'failed', e).catch(() => undefined);
    throw e;
  }
}
