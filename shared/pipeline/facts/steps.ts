// The fact load's steps, in dependency order (load-facts.ts runs them). Each step stages its
// entities and runs its load in ONE transaction, together with the quarantine and the watermarks
// of the entities it staged, so an entity's facts and its watermark commit or roll back together.
// Orders and items are one step because a sale is recomputed from both; re-keying runs last, once
// every member this run brought has arrived.
import type { Transaction } from 'kysely';
import type { WarehouseTables } from '../../db/schema/index.js';
import type { EntityName } from '../entities.js';
import type { FactTable } from './foreign-keys.js';
import type { UpsertCounts } from '../upsert.js';
import { upsertOds } from './ods.js';
import { rekeyFacts } from './rekey.js';
import { loadSales } from './sales.js';
import { loadTargets } from './targets.js';

/** What a step's load reports. */
export interface FactLoadResult {
  /** per staged entity, the rows its run_step reports as inserted and updated (the rest of what it staged is unchanged) */
  written?: Partial<Record<EntityName, UpsertCounts>>;
  /** per entity, facts of its run_step re-keyed to members that have now arrived */
  rekeyed?: Partial<Record<EntityName, number>>;
  /** logged, and kept in the run's JSON report */
  report?: Record<string, unknown>;
  /**
   * false: the load changed no fact row, so its step's gate is skipped (the facts of this run were
   * checked by the steps that wrote them, and committed). Absent: the gate runs.
   */
  wroteFacts?: boolean;
}

export interface FactStep {
  /** names the step in logs and retries */
  name: string;
  /** the entities it stages; the step is skipped when the run has none of them (a step that stages nothing always runs) */
  stages: readonly EntityName[];
  /** the fact tables the load writes: their foreign keys are validated in bulk when the step stages many rows (foreign-keys.ts) */
  writes: readonly FactTable[];
  /** the fact tables whose checks its quality gate runs (the ones it writes or re-keys; shared/quality/gate.ts) */
  audits: readonly FactTable[];
  /** the load, inside the step's transaction; `staged` are the entities of `stages` this run brought */
  load(trx: Transaction<WarehouseTables>, runId: string, staged: ReadonlySet<EntityName>): Promise<FactLoadResult>;
}

/** Test seam: lets a test fail the fact load half-way to prove the rollback. Never set in production. */
export const factFaults: { afterSales?: (trx: Transaction<WarehouseTables>) => Promise<void> } = {};

const NOTHING: UpsertCounts = { inserted: 0, updated: 0 };

export const FACT_STEPS: readonly FactStep[] = [
  {
    name: 'orders and items',
    stages: ['pedidos', 'itens_pedido'],
    writes: ['dw.fact_vendas', 'dw.fact_descontos'],
    audits: ['dw.fact_vendas', 'dw.fact_descontos'],
    async load(trx, runId, staged) {
      const pedidos = staged.has('pedidos') ? await upsertOds(trx, 'pedidos') : NOTHING;
      if (staged.has('itens_pedido')) await upsertOds(trx, 'itens_pedido');
      // every order touched by either batch: its sales and discount facts are recomputed
      const sales = await loadSales(trx, runId);
      await factFaults.afterSales?.(trx);
      // an item's row is reported as its sale fact, an order's as its ODS copy
      return { written: { pedidos, itens_pedido: sales.vendas }, report: { descontos: sales.descontos } };
    },
  },
  {
    name: 'payments',
    stages: ['pagamentos'],
    writes: [],
    audits: [],
    load: async (trx) => ({ written: { pagamentos: await upsertOds(trx, 'pagamentos') } }),
  },
  {
    name: 'targets',
    stages: ['metas'],
    writes: ['dw.fact_metas'],
    audits: ['dw.fact_metas'],
    load: async (trx, runId) => ({ written: { metas: await loadTargets(trx, runId) } }),
  },
  {
    name: 'rekey',
    stages: [],
    // it stages nothing, so its few updates are always checked row by row
    writes: [],
    audits: ['dw.fact_vendas', 'dw.fact_descontos', 'dw.fact_metas'],
    async load(trx, runId) {
      const rekeyed = await rekeyFacts(trx, runId);
      // re-keyed discount facts have no run_step of their own: they are in the JSON report. When
      // nothing was re-keyed (every full load, most daily runs) its gate would only re-check the
      // run's facts that the orders-and-items and targets steps already checked: a full second
      // pass over a full load's facts
      const wroteFacts = Object.values(rekeyed).some((n) => n > 0);
      return { rekeyed: { itens_pedido: rekeyed.fact_vendas, metas: rekeyed.fact_metas }, report: { rekeyed }, wroteFacts };
    },
  },
];
