// Writes sql/generated/: the DDL each migration set runs (<db>.<dialect>.sql, for DBAs to review
// and for deploying to SQL Server by hand) and the golden T-SQL of every statement a daily run and
// a backfill send to SQL Server (statements/<step>.mssql.sql). Tests fail when these files are out
// of date.
//
// The statements come from running the real pipeline entry points against a recording database
// (shared/db/recording-database.ts) whose answers are scripted below: a few realistic source rows
// for the extract, and results that send result-dependent code down each of its branches (lease
// free and held, watermark absent, older and newer, run step new and restarted, facts re-keyed).
// Blob storage is a real in-memory Azurite. The clock and the random part of run ids are fixed so
// that two runs write the same files.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { CompiledQuery } from 'kysely';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite } from '../dev/azurite.js';
import { loadSettings } from '../shared/config/settings.js';
import { compileMigrations, renderScript, type Dialect, type ScriptedAnswer } from '../shared/db/offline-compile.js';
import { recordingDatabase, type RecordedStatement } from '../shared/db/recording-database.js';
import { GOLDEN_DIR, renderGolden } from '../shared/db/statement-golden.js';
import { countBackfillRows, planBackfill } from '../shared/pipeline/backfill.js';
import type { PipelineContext } from '../shared/pipeline/context.js';
import { ENTITIES } from '../shared/pipeline/entities.js';
import { acquireLease, releaseLease } from '../shared/pipeline/lease.js';
import { loadDimensions } from '../shared/pipeline/load-dimensions.js';
import { loadFacts } from '../shared/pipeline/load-facts.js';
import { QUEUES, type LoadMessage } from '../shared/pipeline/messages.js';
import { finishRun, finishStep, startRun, startStep } from '../shared/pipeline/run-audit.js';
import { runExtract } from '../shared/pipeline/run-extract.js';
import { listRuns, readRunReport } from '../shared/pipeline/run-report.js';
import { advanceWatermark, readWatermark } from '../shared/pipeline/watermark.js';
import { BatchStore } from '../shared/storage/batch-store.js';
import { QueueSender } from '../shared/storage/queues.js';
import { silentLogger } from '../shared/telemetry/logger.js';
import { MIGRATIONS, type DatabaseRole } from '../sql/migrations/index.js';
import { findDeadRun } from '../shared/pipeline/watchdog.js';
import { QUALITY_CHECKS } from '../shared/quality/catalogue.js';
import { readCertified } from '../shared/quality/certified.js';
import type { QualityCheck } from '../shared/quality/check.js';
import { recentResults } from '../shared/quality/history.js';
import { runChecks } from '../shared/quality/runner.js';
import { statementIdentity } from '../shared/db/statement-identity.js';
import { KPI_AREAS } from '../shared/kpi/contract.js';
import { KPI_STATEMENT_FILTERS } from '../shared/kpi/filters.js';
import { filterOptions, kpiAnswer } from '../shared/kpi/queries.js';

export async function emitDdl(write: boolean): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const role of Object.keys(MIGRATIONS) as DatabaseRole[]) {
    if (Object.keys(MIGRATIONS[role]).length === 0) continue;
    for (const dialect of ['postgres', 'mssql'] as Dialect[]) {
      files[`sql/generated/${role}.${dialect}.sql`] = renderScript(await compileMigrations(MIGRATIONS[role], dialect), dialect);
    }
  }
  return writeFiles(files, write);
}

function writeFiles(files: Record<string, string>, write: boolean): Record<string, string> {
  if (write) {
    for (const path of Object.keys(files)) mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
    for (const [path, text] of Object.entries(files)) writeFileSync(path, text);
  }
  return files;
}

// --- the scripted source and warehouse -------------------------------------------------------

const NOW = new Date('2026-11-29T03:00:00.000Z');
const at = (iso: string) => new Date(iso);
const stamps = (created: string, updated: string) => ({ created_at: at(created), updated_at: at(updated) });

/**
 * Source rows as the SQL Server driver returns them: ids as numbers, decimals as text (the
 * extract reads them as varchar), timestamps and dates as Date. One clientes row breaks its
 * contract (no segmento), so the quarantine statements run too.
 */
const SOURCE_ROWS: Record<string, Record<string, unknown>[]> = {
  categorias: [{ id: 3, codigo: 'audio', nome: 'Áudio', categoria_pai_id: 1, ...stamps('2024-12-01T10:00:00.000Z', '2026-11-28T09:12:44.120Z') }],
  vendedores: [
    {
      id: 7,
      codigo: 'V0007',
      nome: 'Loja Paulista',
      cidade: 'São Paulo',
      estado: 'SP',
      cep_prefixo: '01310',
      ativo: true,
      ...stamps('2025-01-05T12:00:00.000Z', '2026-11-28T11:30:00.000Z'),
    },
  ],
  clientes: [
    {
      id: 42,
      codigo: 'C000042',
      nome: 'Ana Souza',
      email: 'ana.souza@example.com',
      segmento: 'consumidor',
      cidade: 'Campinas',
      estado: 'SP',
      regiao: 'Sudeste',
      cep_prefixo: '13010',
      ativo: true,
      ...stamps('2025-03-10T08:00:00.000Z', '2026-11-28T14:02:10.500Z'),
    },
    {
      id: 43,
      codigo: 'C000043',
      nome: 'Bruno Lima',
      email: null,
      segmento: null,
      cidade: 'Recife',
      estado: 'PE',
      regiao: 'Nordeste',
      cep_prefixo: '50010',
      ativo: true,
      ...stamps('2026-11-28T15:00:00.000Z', '2026-11-28T15:00:00.000Z'),
    },
  ],
  produtos: [
    {
      id: 300,
      codigo: 'P000300',
      nome: 'Fone de ouvido Bluetooth',
      categoria_id: 3,
      preco_lista: '199.9000',
      custo: '120.0000',
      peso_g: 250,
      ativo: true,
      ...stamps('2025-02-01T09:00:00.000Z', '2026-11-28T07:45:00.000Z'),
    },
  ],
  campanhas: [
    {
      id: 5,
      codigo: 'FRETE-2026',
      nome: 'Inverno com desconto',
      tipo: 'percentual',
      percentual: '0.1000',
      valor_cupom: null,
      inicio: at('2026-06-01T00:00:00.000Z'),
      fim: at('2026-12-31T23:59:59.999Z'),
      custo: '5000.0000',
      ativa: true,
      ...stamps('2026-05-20T10:00:00.000Z', '2026-11-28T10:00:00.000Z'),
    },
  ],
  pedidos: [
    {
      id: 9001,
      codigo: 'PED-009001',
      cliente_id: 42,
      status: 'aprovado',
      data_pedido: at('2026-11-28T14:05:12.345Z'),
      data_aprovacao: at('2026-11-28T14:20:00.000Z'),
      data_envio: null,
      data_entrega: null,
      data_entrega_prevista: at('2026-12-03T18:00:00.000Z'),
      data_cancelamento: null,
      cidade_entrega: 'Campinas',
      estado_entrega: 'SP',
      modo_envio: 'padrao',
      campanha_id: 5,
      valor_produtos: '399.8000',
      valor_desconto: '39.9800',
      valor_frete: '19.9000',
      valor_total: '379.7200',
      ...stamps('2026-11-28T14:05:12.345Z', '2026-11-28T14:20:00.000Z'),
    },
  ],
  itens_pedido: [
    {
      id: 12001,
      pedido_id: 9001,
      numero_item: 1,
      produto_id: 300,
      vendedor_id: 7,
      campanha_id: 5,
      quantidade: 2,
      preco_unitario: '199.9000',
      valor_bruto: '399.8000',
      percentual_desconto: '0.1000',
      valor_desconto: '39.9800',
      valor_liquido: '359.8200',
      valor_frete: '19.9000',
      custo_total: '240.0000',
      deleted_at: null,
      ...stamps('2026-11-28T14:05:12.345Z', '2026-11-28T14:05:12.345Z'),
    },
  ],
  pagamentos: [
    {
      id: 8001,
      pedido_id: 9001,
      sequencial: 1,
      tipo: 'cartao_credito',
      parcelas: 3,
      valor: '379.7200',
      ...stamps('2026-11-28T14:19:00.000Z', '2026-11-28T14:19:00.000Z'),
    },
  ],
  metas: [
    {
      id: 501,
      vendedor_id: 7,
      mes: at('2026-11-01T00:00:00.000Z'),
      valor_meta: '50000.0000',
      quantidade_meta: 250,
      ...stamps('2026-10-25T12:00:00.000Z', '2026-11-27T16:00:00.000Z'),
    },
  ],
};

/** What the warehouse and the source answer; the emit steps below flip it to reach each branch. */
interface World {
  leaseFree: boolean;
  stepExists: boolean;
  /** etl.batch rows the extract inserted (run_id, entity, manifest_path, manifest_sha256), read back by the loads */
  batches: unknown[][];
  /** run kinds by run id, as startRun inserted them */
  kinds: Map<unknown, unknown>;
  watermarks: Map<string, Date>;
  /** entities whose first extract page comes back full, so the next page is read too */
  fullFirstPage: Set<string>;
}

/** The source rows of one extract page: `top(n)` asks for n; a full page makes the extract read on. */
function sourcePage(world: World, table: string, q: CompiledQuery): Record<string, unknown>[] {
  const rows = SOURCE_ROWS[table] ?? [];
  const pageSize = Number(/\btop\((\d+)\)/.exec(q.sql)?.[1]);
  if (!world.fullFirstPage.delete(table)) return rows;
  return Array.from({ length: pageSize }, (_, i) => ({ ...rows[0], id: Number(rows[0]!.id) + 1000 + i }));
}

function answer(world: World, s: RecordedStatement): ScriptedAnswer {
  const q = s.compiled!;
  const target = s.identity.split(';')[0]!;
  const [kind, table] = target.split(' ');
  // the source's open transactions (the late-commit cap): one open for 20 minutes, so the cap holds
  if (kind === 'raw' && s.identity.includes('open_transactions')) return { rows: [{ observed_at: NOW, oldest: at('2026-11-29T02:40:00.000Z'), hidden: 0 }] };
  if (kind === 'raw') return { rows: [{ now: NOW }] };
  if (target === 'update etl.lease') return { numAffectedRows: world.leaseFree ? 1n : 0n };
  if (target === 'insert etl.batch') world.batches.push(q.parameters.slice(0, 4));
  if (target === 'insert etl.run') world.kinds.set(q.parameters[0], q.parameters[1]);
  if (target === 'select etl.batch') {
    const rows = world.batches.filter((b) => b[0] === q.parameters[0]);
    return { rows: rows.map(([, entity, manifest_path, manifest_sha256]) => ({ entity, manifest_path, manifest_sha256 })) };
  }
  if (target === 'select etl.lease') return { rows: [{ holder: '20261129T020000000Z-0c0ffe', expires_at: at('2026-11-29T03:10:00.000Z') }] };
  if (target === 'update etl.run_step') return { numAffectedRows: world.stepExists ? 1n : 0n };
  // the lowest watermark (the certified pointer's point in time)
  if (target === 'select etl.watermark' && /\bmin\(/.test(q.sql)) return { rows: [{ low: at('2026-11-29T02:59:00.000Z') }] };
  if (target === 'select etl.watermark') {
    const high = world.watermarks.get(String(q.parameters[0]));
    return { rows: high ? [{ high_water: high }] : [] };
  }
  if (target === 'select etl.run')
    return { rows: [{ run_id: 'r', kind: world.kinds.get(q.parameters[0]) ?? 'daily', status: 'running', started_at: NOW, finished_at: null, error: null }] };
  if (target === 'select etl.run_step')
    return { rows: [{ step: 'extract', entity: 'clientes', status: 'succeeded', started_at: NOW, finished_at: NOW, rows_read: 2 }] };
  // every calendar day the batches need is missing
  if (target === 'select dw.dim_data') return { rows: [] };
  // the KPI views: one row, so every filter names something and every query of an answer runs
  if (kind === 'select' && table?.startsWith('dw.vw_')) return { rows: [{}] };
  if (kind === 'select' && /\bcount\(\*\)/.test(q.sql)) return { rows: [{ n: 2 }] };
  if (kind === 'select' && table?.startsWith('oltp.')) return { rows: sourcePage(world, table.slice('oltp.'.length), q) };
  // merges, upserts and re-keys change one row each (so the re-key counts are written too)
  return { rows: [], numAffectedRows: 1n };
}

/** Runs `fn` with the clock stopped at `now` and Math.random repeatable, so run ids and load times repeat. */
async function withFixedClock<T>(now: Date, fn: () => Promise<T>): Promise<T> {
  const RealDate = Date;
  const realRandom = Math.random;
  class FixedDate extends RealDate {
    constructor(...args: ConstructorParameters<DateConstructor> | []) {
      super(...((args.length === 0 ? [now.getTime()] : args) as [number]));
    }
    static override now() {
      return now.getTime();
    }
    // Dates made before the clock stopped are Dates too
    static override [Symbol.hasInstance](value: unknown) {
      return value instanceof RealDate;
    }
  }
  globalThis.Date = FixedDate as unknown as DateConstructor;
  // a repeatable sequence: each run id still gets its own suffix
  let seed = 1;
  Math.random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
    Math.random = realRandom;
  }
}

/** Keeps what a step enqueues, so the next step is called with it directly. */
class HeldQueues extends QueueSender {
  readonly held = new Map<string, LoadMessage>();
  override async send(queue: string, message: object): Promise<void> {
    this.held.set(queue, message as LoadMessage);
  }
  take(queue: string): LoadMessage {
    const message = this.held.get(queue);
    if (!message) throw new Error(`nothing was sent to ${queue}`);
    this.held.delete(queue);
    return message;
  }
}

const FILES = {
  lease: 'the pipeline lease (one run at a time): taken when free, refused when held, released, taken over from a dead run (also by the watchdog, dead-only)',
  'run-audit': 'the run report: etl.run and etl.run_step, for a step run the first time and a retried one, succeeded and failed',
  watermark: 'watermarks: read, written the first time, advanced',
  'runs-api': 'GET /api/runs and GET /api/runs/{id}',
  extract: 'the extract of a daily run (timer): every entity, one entity read past a full page, one extracted for the first time',
  'load-dimensions': 'the dimension load of a daily run (queue load-dimensions)',
  'load-facts': 'the fact load of a daily run (queue load-facts), the run marked succeeded',
  backfill: 'POST /api/backfill: the dry-run count, then a backfill of orders and items (extract, dimension and fact loads) beyond what the daily run sends',
  quality:
    'the quality checks (each check run, then every query it can send, run-scoped and whole-table), GET /api/quality and the certified pointer; the loads above record their gates with a passing probe per phase',
  kpi: 'GET /api/kpi/{vendas,metas,descontos} and GET /api/kpi/filtros (shared/kpi): the filter checks, the envelope and every KPI query, with no filter, each filter alone and all of them',
} as const;

/**
 * Stand-ins for the catalogue while the loads are recorded: the scripted answers are not data a
 * check could judge, so each phase's gate runs one check that passes without SQL (its result is
 * still recorded, so the gate's own statements are in the golden files); the real checks' SQL is
 * recorded in the quality step.
 */
const GATE_PROBES: QualityCheck[] = (['dimensions', 'facts', 'warehouse'] as const).map((phase) => ({
  name: `golden_sql_probe_${phase}`,
  severity: 'blocking',
  phase,
  description: 'records the gate of a load for the golden T-SQL',
  run: () => Promise.resolve({ failing: 0, observed: '0', expected: '0', samples: [] }),
}));

/** Every statement of a daily run and a backfill, compiled to T-SQL, grouped by step. */
export async function recordStatements(): Promise<Record<keyof typeof FILES, RecordedStatement[]>> {
  const world: World = { leaseFree: true, stepExists: false, batches: [], kinds: new Map(), watermarks: new Map(), fullFirstPage: new Set() };
  const recorded: RecordedStatement[] = [];
  const database = recordingDatabase(recorded, (s) => answer(world, s));
  const azurite = await startAzurite({ inMemory: true });
  const seen = new Set<string>();
  const files = Object.fromEntries(Object.keys(FILES).map((f) => [f, [] as RecordedStatement[]])) as Record<keyof typeof FILES, RecordedStatement[]>;
  /** runs `fn` and files each statement it sends that no earlier step sent */
  const step = async (file: keyof typeof FILES, fn: () => Promise<unknown>) => {
    recorded.length = 0;
    await fn();
    for (const s of recorded) {
      if (seen.has(s.sql)) continue;
      seen.add(s.sql);
      files[file].push(s);
    }
  };
  try {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('raw');
    const queues = new HeldQueues(QueueServiceClient.fromConnectionString(azurite.connectionString));
    const ctx: PipelineContext = {
      // half of a batch may be rejected, so the one bad clientes row is quarantined, not fatal;
      // one entity extracted at a time, so the statements are recorded in the same order every time
      settings: loadSettings({ REJECT_THRESHOLD_PERCENT: '50', EXTRACT_CONCURRENCY: '1' }),
      oltp: database,
      dw: database,
      store: new BatchStore(container),
      queues,
      log: silentLogger,
      qualityChecks: GATE_PROBES,
    };
    const db = database.db;
    await withFixedClock(NOW, async () => {
      const runId = 'r';
      await step('lease', async () => {
        await acquireLease(db, runId, 30);
        world.leaseFree = false;
        await acquireLease(db, runId, 30);
        world.leaseFree = true;
        await releaseLease(db, runId);
        // past the scripted holder's expiry: taken over, and its dead run marked failed
        await acquireLease(db, runId, 30, at('2026-11-29T03:20:00.000Z'));
        // the watchdog: reads the lease, and takes over only a dead holder's
        await findDeadRun(db, at('2026-11-29T03:20:00.000Z'));
        await acquireLease(db, runId, 30, at('2026-11-29T03:20:00.000Z'), { deadOnly: true });
      });
      await step('run-audit', async () => {
        await startRun(db, { runId, kind: 'daily' });
        await startStep(db, runId, 'extract', 'clientes');
        world.stepExists = true;
        await startStep(db, runId, 'extract', 'clientes');
        world.stepExists = false;
        await finishStep(db, runId, 'extract', 'clientes', 'failed', {}, new Error('deadlock'));
        await finishRun(db, runId, 'failed', new Error('deadlock'));
      });
      await step('watermark', async () => {
        await db.transaction().execute((trx) => advanceWatermark(trx, 'clientes', at('2026-11-29T02:59:00.000Z'), runId));
        world.watermarks.set('clientes', at('2026-11-28T02:59:00.000Z'));
        await db.transaction().execute((trx) => advanceWatermark(trx, 'clientes', at('2026-11-29T02:59:00.000Z'), runId));
        await readWatermark(db, 'clientes');
      });
      await step('runs-api', async () => {
        await readRunReport(db, runId);
        await listRuns(db, 20);
      });

      // a daily run: every entity has a watermark but metas, extracted for the first time today
      for (const e of ENTITIES) if (e.name !== 'metas') world.watermarks.set(e.name, at('2026-11-28T02:59:00.000Z'));
      world.fullFirstPage.add('clientes');
      let extracted: LoadMessage['batches'] = [];
      await step('extract', async () => {
        const outcome = await runExtract(ctx, { now: NOW });
        if (outcome.status !== 'started') throw new Error('the scripted lease is free');
        extracted = outcome.batches;
      });
      await step('load-dimensions', () => loadDimensions(ctx, queues.take(QUEUES.dimensions)));
      await step('load-facts', () => loadFacts(ctx, queues.take(QUEUES.facts)));

      await step('backfill', async () => {
        const plan = await planBackfill(ctx, JSON.stringify({ from: '2026-11-27', to: '2026-11-29', entities: ['pedidos', 'itens_pedido'] }));
        await countBackfillRows(ctx.oltp, plan.window, plan.entities);
        const outcome = await runExtract(ctx, { kind: 'backfill', window: plan.window, entities: plan.entities, requestedBy: 'api' });
        if (outcome.status !== 'started') throw new Error('the scripted lease is free');
        // loaded as a large backfill (BULK_FK_MIN_ROWS=1): the fact steps validate their foreign keys in bulk
        const large = { ...ctx, settings: { ...ctx.settings, BULK_FK_MIN_ROWS: 1 } };
        await loadDimensions(large, queues.take(QUEUES.dimensions));
        await loadFacts(large, queues.take(QUEUES.facts));
      });
      await step('quality', async () => {
        // what each check sends when it runs (answers are scripted, so outcomes do not matter)...
        await runChecks(QUALITY_CHECKS, { dw: db, oltp: db, runId, settings: ctx.settings, now: NOW });
        // ...and every query it can send, whatever the data (samples, the run-scoped and whole-table forms)
        for (const check of QUALITY_CHECKS)
          for (const q of check.queries?.(db, db) ?? []) {
            const compiled = q.compile();
            recorded.push({
              identity: statementIdentity(compiled.query),
              sql: compiled.sql,
              parameters: compiled.parameters,
              caller: `${check.name} (shared/quality)`,
              compiled,
            });
          }
        await recentResults(db, { limit: 20 });
        await recentResults(db, { limit: 20, check: 'freshness' });
        await readCertified(db);
      });
      await step('kpi', async () => {
        for (const area of KPI_AREAS) for (const filters of KPI_STATEMENT_FILTERS) await kpiAnswer(db, area, filters, ctx.settings, NOW);
        await filterOptions(db);
      });
      if (extracted.length !== ENTITIES.length) throw new Error(`the daily extract wrote ${extracted.length} batches, expected ${ENTITIES.length}`);
    });
  } finally {
    await azurite.stop();
    await database.close();
  }
  return files;
}

/** The golden files' text, by path. */
export function renderStatements(recorded: Awaited<ReturnType<typeof recordStatements>>): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, statements] of Object.entries(recorded))
    files[`${GOLDEN_DIR}/${name}.mssql.sql`] = renderGolden(FILES[name as keyof typeof FILES], statements);
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = { ...(await emitDdl(true)), ...writeFiles(renderStatements(await recordStatements()), true) };
  for (const path of Object.keys(files)) console.log(`wrote ${path}`);
}
