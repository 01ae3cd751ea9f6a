// The fact load: complete, never duplicated, joined to the right dimension versions, and
// reprocessable without side effects.
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import { readClock } from '../../shared/db/portable-sql.js';
import { QUALITY_CHECKS } from '../../shared/quality/catalogue.js';
import type { QualityCheck } from '../../shared/quality/check.js';
import { checkWarehouseNow } from '../../shared/quality/check-now.js';
import { importSuperstore } from '../../shared/import/superstore.js';
import { formatMoney, parseMoney } from '../../shared/model/money.js';
import { loadDimensions } from '../../shared/pipeline/load-dimensions.js';
import { factFaults } from '../../shared/pipeline/facts/steps.js';
import { loadFacts } from '../../shared/pipeline/load-facts.js';
import { QUEUES } from '../../shared/pipeline/messages.js';
import { runExtract } from '../../shared/pipeline/run-extract.js';
import { runIncrementalDay } from '../../shared/seed/incremental.js';
import { superstorePath } from '../helpers/datasets.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, factSnapshot, pipelineFixture, testPipeline, type TestPipeline, seedBaseEndingYesterday } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const one = async <T>(q: { execute(): Promise<T[]> }) => (await q.execute())[0]!;
const num = (v: unknown) => formatMoney(parseMoney(String(v ?? '0')));

/** The OLTP's and the warehouse's view of the same sales, to compare to the cent. */
async function salesTotals(p: TestPipeline) {
  const o = await one(
    p.ctx.oltp.db
      .selectFrom('oltp.itens_pedido')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('valor_liquido').as('net'), eb.fn.sum('valor_desconto').as('disc')])
      .where('deleted_at', 'is', null),
  );
  const w = await one(
    p.ctx.dw.db
      .selectFrom('dw.fact_vendas')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('valor_liquido').as('net'), eb.fn.sum('valor_desconto').as('disc')])
      .where('removido', '=', false),
  );
  const all = await one(p.ctx.oltp.db.selectFrom('oltp.itens_pedido').select((eb) => eb.fn.countAll().as('n')));
  const facts = await one(p.ctx.dw.db.selectFrom('dw.fact_vendas').select((eb) => eb.fn.countAll().as('n')));
  return {
    oltp: { items: Number(all.n), live: Number(o.n), net: num(o.net), discount: num(o.disc) },
    dw: { items: Number(facts.n), live: Number(w.n), net: num(w.net), discount: num(w.disc) },
  };
}

async function unknownKeys(db: Kysely<any>) {
  const r = await one(
    db
      .selectFrom('dw.fact_vendas')
      .select((eb) => eb.fn.countAll().as('n'))
      .where((eb) => eb.or(['cliente_key', 'produto_key', 'vendedor_key', 'campanha_key', 'data_pedido_key'].map((k) => eb(k, '=', -1)))),
  );
  return Number(r.n);
}

/** A new order for an existing customer, placed at `at`, with one item of an existing product. */
async function newOrder(p: TestPipeline, clienteId: number, produtoId: number, at: Date) {
  const db = p.ctx.oltp.db;
  const maxId = async (t: 'oltp.pedidos' | 'oltp.itens_pedido' | 'oltp.pagamentos') =>
    Number((await one(db.selectFrom(t).select((eb) => eb.fn.max('id').as('m')))).m);
  const pedido = (await maxId('oltp.pedidos')) + 1;
  const item = (await maxId('oltp.itens_pedido')) + 1;
  const pagamento = (await maxId('oltp.pagamentos')) + 1;
  const vendedor = Number((await one(db.selectFrom('oltp.vendedores').select('id').orderBy('id').limit(1))).id);
  await db
    .insertInto('oltp.pedidos')
    .values({
      id: pedido,
      codigo: `TESTE-${pedido}`,
      cliente_id: clienteId,
      status: 'aprovado',
      data_pedido: at,
      data_aprovacao: at,
      valor_produtos: '100.0000',
      valor_desconto: '0',
      valor_frete: '10.0000',
      valor_total: '110.0000',
      created_at: at,
      updated_at: at,
    })
    .execute();
  await db
    .insertInto('oltp.itens_pedido')
    .values({
      id: item,
      pedido_id: pedido,
      numero_item: 1,
      produto_id: produtoId,
      vendedor_id: vendedor,
      quantidade: 2,
      preco_unitario: '50.0000',
      valor_bruto: '100.0000',
      valor_desconto: '0',
      valor_liquido: '100.0000',
      valor_frete: '10.0000',
      created_at: at,
      updated_at: at,
    })
    .execute();
  await db
    .insertInto('oltp.pagamentos')
    .values({ id: pagamento, pedido_id: pedido, sequencial: 1, tipo: 'pix', parcelas: 1, valor: '110.0000', created_at: at, updated_at: at })
    .execute();
  return { pedido, item };
}

/** The source database's clock, `ms` milliseconds back: what the extract windows are measured against. */
const sourceClock = async (p: TestPipeline, ms = 0) => new Date((await readClock(p.ctx.oltp.db)).getTime() - ms);

describe.each(testEngines())('fact load on $name', (engine) => {
  // Once per engine: a base that ends yesterday on the source's clock (so a day of changes stamped
  // now is later than every base row), loaded by one daily run. Each test that changes anything
  // works on a copy of its own.
  const loaded = pipelineFixture(engine, async (p) => {
    await seedBaseEndingYesterday(p, { scale: 0.03, seed: 7 });
    await dailyRun(p);
  });

  it('fact_vendas equals the OLTP items to the cent; targets and discounts are complete; no unknown keys', async () => {
    const p = await loaded.shared();
    const t = await salesTotals(p);
    expect(t.dw).toEqual(t.oltp);
    expect(await unknownKeys(p.ctx.dw.db)).toBe(0);
    const metas = await one(p.ctx.oltp.db.selectFrom('oltp.metas').select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('valor_meta').as('v')]));
    const fm = await one(
      p.ctx.dw.db
        .selectFrom('dw.fact_metas')
        .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('valor_meta').as('v')])
        .where('vendedor_key', '>', 0)
        .where('mes_key', '>', 0),
    );
    expect([Number(fm.n), num(fm.v)]).toEqual([Number(metas.n), num(metas.v)]);
    const disc = await one(
      p.ctx.oltp.db
        .selectFrom('oltp.itens_pedido')
        .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('valor_desconto').as('v')])
        .where((eb) => eb.or([eb('campanha_id', 'is not', null), eb('valor_desconto', '>', '0')])),
    );
    const fd = await one(p.ctx.dw.db.selectFrom('dw.fact_descontos').select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('valor_desconto').as('v')]));
    expect([Number(fd.n), num(fd.v)]).toEqual([Number(disc.n), num(disc.v)]);
    // cancelled orders keep their items, with their status
    const cancelled = await one(
      p.ctx.oltp.db
        .selectFrom('oltp.itens_pedido as i')
        .innerJoin('oltp.pedidos as o', 'o.id', 'i.pedido_id')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('o.status', '=', 'cancelado'),
    );
    const fc = await one(
      p.ctx.dw.db
        .selectFrom('dw.fact_vendas')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('status', '=', 'cancelado'),
    );
    expect(Number(fc.n)).toBe(Number(cancelled.n));
    expect(Number(fc.n)).toBeGreaterThan(0);
  });

  it('stays equal after the incremental day (new orders, status changes, cancellations)', async () => {
    const p = await loaded.fork();
    try {
      await runIncrementalDay(p.ctx.oltp, { at: await sourceClock(p), seed: 7 });
      const { runId } = await dailyRun(p);
      const t = await salesTotals(p);
      expect(t.dw).toEqual(t.oltp);
      const statuses = async (db: Kysely<any>, table: string, id: string) =>
        (await db.selectFrom(table).select([id, 'status']).orderBy(id).execute()).map((r) => `${r[id]}:${r.status}`);
      // every order's status reached its facts
      const oltpStatus = await p.ctx.oltp.db
        .selectFrom('oltp.itens_pedido as i')
        .innerJoin('oltp.pedidos as o', 'o.id', 'i.pedido_id')
        .select(['i.id as item_id', 'o.status'])
        .orderBy('i.id')
        .execute();
      expect(await statuses(p.ctx.dw.db, 'dw.fact_vendas', 'item_id')).toEqual(oltpStatus.map((r) => `${r.item_id}:${r.status}`));
      const step = await one(
        p.ctx.dw.db.selectFrom('etl.run_step').selectAll().where('run_id', '=', runId).where('step', '=', 'facts').where('entity', '=', 'itens_pedido'),
      );
      expect(Number(step.rows_inserted)).toBeGreaterThan(0);
      expect(Number(step.rows_updated)).toBeGreaterThan(0);
    } finally {
      await p.close();
    }
  });

  it('is idempotent: the fact message delivered twice and a backfill of a loaded month change nothing', async () => {
    const p = await loaded.fork();
    try {
      const extract = await runExtract(p.ctx);
      if (extract.status !== 'started') throw new Error('skipped');
      await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
      const message = await p.receive(QUEUES.facts);
      await loadFacts(p.ctx, message);
      const once = await factSnapshot(p.ctx);
      await loadFacts(p.ctx, message);
      expect(await factSnapshot(p.ctx)).toEqual(once);

      const watermarks = await p.ctx.dw.db.selectFrom('etl.watermark').selectAll().orderBy('entity').execute();
      const to = await sourceClock(p);
      const from = new Date(to.getTime() - 31 * 86_400_000);
      const backfill = await runExtract(p.ctx, { kind: 'backfill', window: { from, to } });
      if (backfill.status !== 'started') throw new Error('skipped');
      expect(backfill.rows.pedidos).toBeGreaterThan(0);
      await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
      await loadFacts(p.ctx, await p.receive(QUEUES.facts));
      expect(await factSnapshot(p.ctx)).toEqual(once);
      expect(await p.ctx.dw.db.selectFrom('etl.watermark').selectAll().orderBy('entity').execute()).toEqual(watermarks);
    } finally {
      await p.close();
    }
  });

  it('keeps a customer who moved on the old version for old orders and the new version for new ones', async () => {
    const p = await loaded.fork();
    try {
      const cliente = await one(
        p.ctx.dw.db
          .selectFrom('dw.fact_vendas')
          .select(['cliente_id', 'cliente_key', 'produto_id'])
          .where('status', '=', 'entregue')
          .orderBy('item_id')
          .limit(1),
      );
      const movedAt = await sourceClock(p, 2000);
      await p.ctx.oltp.db
        .updateTable('oltp.clientes')
        .set({ cidade: 'Manaus', estado: 'AM', updated_at: movedAt })
        .where('id', '=', cliente.cliente_id)
        .execute();
      const { item } = await newOrder(p, Number(cliente.cliente_id), Number(cliente.produto_id), new Date(movedAt.getTime() + 1000));
      await dailyRun(p);
      const versions = await p.ctx.dw.db
        .selectFrom('dw.dim_cliente')
        .select(['cliente_key', 'is_current', 'cidade'])
        .where('cliente_id', '=', cliente.cliente_id)
        .orderBy('valid_from')
        .execute();
      expect(versions.map((v) => v.is_current)).toEqual([false, true]);
      const facts = await p.ctx.dw.db.selectFrom('dw.fact_vendas').select(['item_id', 'cliente_key']).where('cliente_id', '=', cliente.cliente_id).execute();
      for (const f of facts)
        expect(Number(f.cliente_key)).toBe(Number(f.item_id) === item ? Number(versions[1]!.cliente_key) : Number(versions[0]!.cliente_key));
      expect(facts.length).toBeGreaterThan(1);
    } finally {
      await p.close();
    }
  });

  it('gives a fact the unknown member while its product has not arrived, and re-keys it when it does', async () => {
    const p = await loaded.fork();
    try {
      // stamped after the last run's window (this test runs its second load without overlap)
      await new Promise((r) => setTimeout(r, 20));
      const at = await sourceClock(p);
      const categoria = Number((await one(p.ctx.oltp.db.selectFrom('oltp.categorias').select('id').where('categoria_pai_id', 'is not', null).limit(1))).id);
      const produto = Number((await one(p.ctx.oltp.db.selectFrom('oltp.produtos').select((eb) => eb.fn.max('id').as('m')))).m) + 1;
      await p.ctx.oltp.db
        .insertInto('oltp.produtos')
        .values({
          id: produto,
          codigo: `NOVO-${produto}`,
          nome: 'Produto novo',
          categoria_id: categoria,
          preco_lista: '50.0000',
          custo: '20.0000',
          ativo: true,
          created_at: at,
          updated_at: at,
        })
        .execute();
      const cliente = Number((await one(p.ctx.oltp.db.selectFrom('oltp.clientes').select('id').orderBy('id').limit(1))).id);
      const { item } = await newOrder(p, cliente, produto, at);
      // a fact-phase check that notes the product key it sees on the new item, in each fact gate
      // that audits dw.fact_vendas: which gates ran, and whether one saw the re-keyed fact before commit
      const seen: number[] = [];
      const spy: QualityCheck = {
        name: 'test_seen_product_key',
        severity: 'warning',
        phase: 'facts',
        description: 'test probe',
        tables: ['dw.fact_vendas'],
        async run(input) {
          seen.push(Number((await one(input.dw.selectFrom('dw.fact_vendas').select('produto_key').where('item_id', '=', item))).produto_key));
          return { failing: 0, observed: 'seen', expected: 'seen', samples: [] };
        },
      };
      const spied = { ...p, ctx: { ...p.ctx, qualityChecks: [...QUALITY_CHECKS, spy] } };
      // facts first: the product's dimension row is not in this run
      const facts = await runExtract(spied.ctx, { entities: ['pedidos', 'itens_pedido', 'pagamentos', 'metas'] });
      if (facts.status !== 'started') throw new Error('skipped');
      await loadDimensions(spied.ctx, await p.receive(QUEUES.dimensions));
      await loadFacts(spied.ctx, await p.receive(QUEUES.facts));
      expect((await one(p.ctx.dw.db.selectFrom('dw.fact_vendas').select('produto_key').where('item_id', '=', item))).produto_key).toBe(-1);
      // the orders-and-items step's gate checked the new fact; re-keying found nothing, so its gate did not check them again
      expect(seen).toEqual([-1]);
      seen.length = 0;
      // the next run brings the product; without overlap the item is not re-read, so re-keying is what fixes it
      const noOverlap = { ...spied, ctx: { ...spied.ctx, settings: { ...p.ctx.settings, EXTRACT_OVERLAP_MINUTES: 0 } } };
      const { runId } = await dailyRun(noOverlap);
      const key = (await one(p.ctx.dw.db.selectFrom('dw.dim_produto').select('produto_key').where('produto_id', '=', produto))).produto_key;
      expect((await one(p.ctx.dw.db.selectFrom('dw.fact_vendas').select('produto_key').where('item_id', '=', item))).produto_key).toBe(key);
      // the re-keying step's gate ran on the re-keyed fact, inside its transaction
      expect(seen.at(-1)).toBe(key);
      const step = await one(
        p.ctx.dw.db
          .selectFrom('etl.run_step')
          .select('rows_rekeyed')
          .where('run_id', '=', runId)
          .where('step', '=', 'facts')
          .where('entity', '=', 'itens_pedido'),
      );
      expect(Number(step.rows_rekeyed)).toBeGreaterThanOrEqual(1);
      expect(await unknownKeys(p.ctx.dw.db)).toBe(0);
    } finally {
      await p.close();
    }
  });

  it('a failure in the middle of the fact load leaves the warehouse exactly as before; the retried message finishes the run', async () => {
    const p = await loaded.fork();
    try {
      await p.ctx.oltp.db
        .updateTable('oltp.pedidos')
        .set({ status: 'entregue', updated_at: await sourceClock(p, 500) })
        .where('status', '=', 'enviado')
        .execute();
      const extract = await runExtract(p.ctx);
      if (extract.status !== 'started') throw new Error('skipped');
      await loadDimensions(p.ctx, await p.receive(QUEUES.dimensions));
      const message = await p.receive(QUEUES.facts);
      const before = { facts: await factSnapshot(p.ctx), watermarks: await p.ctx.dw.db.selectFrom('etl.watermark').selectAll().orderBy('entity').execute() };
      factFaults.afterSales = async () => {
        throw new Error('injected failure after the sales merge');
      };
      try {
        await expect(loadFacts(p.ctx, message)).rejects.toThrow('injected failure');
      } finally {
        factFaults.afterSales = undefined;
      }
      expect({ facts: await factSnapshot(p.ctx), watermarks: await p.ctx.dw.db.selectFrom('etl.watermark').selectAll().orderBy('entity').execute() }).toEqual(
        before,
      );
      expect((await one(p.ctx.dw.db.selectFrom('etl.run').select('status').where('run_id', '=', extract.runId))).status).toBe('failed');
      await loadFacts(p.ctx, message);
      expect((await one(p.ctx.dw.db.selectFrom('etl.run').select('status').where('run_id', '=', extract.runId))).status).toBe('succeeded');
      const t = await salesTotals(p);
      expect(t.dw).toEqual(t.oltp);
      const enviado = await one(
        p.ctx.dw.db
          .selectFrom('dw.fact_vendas')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('status', '=', 'enviado'),
      );
      expect(Number(enviado.n)).toBe(0);
    } finally {
      await p.close();
    }
  });

  it('removes the discount fact of an item whose discount was taken away', async () => {
    const p = await loaded.fork();
    try {
      const item = await one(p.ctx.dw.db.selectFrom('dw.fact_descontos').select(['item_id', 'valor_bruto']).orderBy('item_id').limit(1));
      await p.ctx.oltp.db
        .updateTable('oltp.itens_pedido')
        .set({ campanha_id: null, percentual_desconto: null, valor_desconto: '0', valor_liquido: item.valor_bruto, updated_at: await sourceClock(p, 500) })
        .where('id', '=', item.item_id)
        .execute();
      await dailyRun(p);
      expect(await p.ctx.dw.db.selectFrom('dw.fact_descontos').select('item_id').where('item_id', '=', item.item_id).execute()).toEqual([]);
      const sale = await one(p.ctx.dw.db.selectFrom('dw.fact_vendas').select(['campanha_key', 'valor_desconto']).where('item_id', '=', item.item_id));
      expect([Number(sale.campanha_key), num(sale.valor_desconto)]).toEqual([0, '0.0000']);
    } finally {
      await p.close();
    }
  });

  it('retries a transient error inside the invocation with backoff and finishes the run', async () => {
    const p = await loaded.fork();
    try {
      await p.ctx.oltp.db
        .updateTable('oltp.pedidos')
        .set({ status: 'entregue', updated_at: await sourceClock(p, 500) })
        .where('status', '=', 'faturado')
        .execute();
      const warnings: string[] = [];
      const ctx = {
        ...p.ctx,
        retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
        log: { ...p.ctx.log, warn: (m: string, props?: Record<string, unknown>) => warnings.push(`${m} ${JSON.stringify(props)}`) },
      };
      const extract = await runExtract(ctx);
      if (extract.status !== 'started') throw new Error('skipped');
      await loadDimensions(ctx, await p.receive(QUEUES.dimensions));
      let failures = 0;
      factFaults.afterSales = async () => {
        // what PostgreSQL raises for a serialization failure (SQLSTATE 40001): transient
        if (failures++ === 0) throw Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001', severity: 'ERROR' });
      };
      try {
        await loadFacts(ctx, await p.receive(QUEUES.facts));
      } finally {
        factFaults.afterSales = undefined;
      }
      expect(failures).toBe(2);
      expect(warnings.some((w) => w.startsWith('transient error; retrying') && w.includes('"code":"40001"'))).toBe(true);
      expect((await one(p.ctx.dw.db.selectFrom('etl.run').select('status').where('run_id', '=', extract.runId))).status).toBe('succeeded');
      const t = await salesTotals(p);
      expect(t.dw).toEqual(t.oltp);
    } finally {
      await p.close();
    }
  });
});

describe.each(testEngines())('fact load of the Superstore file on $name', (engine) => {
  it('total net sales and profit in fact_vendas equal the file totals', async () => {
    const records = parse(gunzipSync(readFileSync(superstorePath())).toString('utf8'), { columns: true }) as Record<string, string>[];
    const sum = (col: string) => formatMoney(records.reduce((s, r) => s + parseMoney(r[col]!), 0n));
    const p = await testPipeline(engine);
    try {
      await importSuperstore(p.ctx.oltp, superstorePath(), { at: await sourceClock(p, 3600_000) });
      await dailyRun(p);
      const r = await one(
        p.ctx.dw.db
          .selectFrom('dw.fact_vendas')
          .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('valor_liquido').as('net'), eb.fn.sum('margem').as('profit')]),
      );
      expect({ n: Number(r.n), net: num(r.net), profit: num(r.profit) }).toEqual({ n: records.length, net: sum('Sales'), profit: sum('Profit') });
      expect(await unknownKeys(p.ctx.dw.db)).toBe(0);
      // what `npm run dw:check` runs: the whole catalogue over whole tables, every check passed
      const checks = await checkWarehouseNow(p.ctx.dw.db, p.ctx.oltp.db, p.ctx.settings);
      expect(checks.filter((c) => c.status !== 'passed').map((c) => `${c.name}: ${c.observed}`)).toEqual([]);
      expect(checks.find((c) => c.name === 'reconcile_sales')?.observed).toContain(`${records.length} items`);
    } finally {
      await p.close();
    }
  });
});
