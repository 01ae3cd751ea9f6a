// The warehouse checks on a warehouse the real pipeline loaded (a small seed, then a day of
// changes with SCD2 history): every check passes on it, and each blocking check fails, with the
// right count and a sample naming the key, on a copy broken on purpose the way a faulty load
// would break it. Run phases see only the run's rows when given its id, whole tables without.
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { firstRows, isMssql, readClock } from '../../shared/db/portable-sql.js';
import type { WarehouseTables } from '../../shared/db/schema/index.js';
import { FAR_FUTURE, FAR_PAST } from '../../shared/pipeline/dimensions/scd.js';
import { planIncrementalDay, runIncrementalDay } from '../../shared/seed/incremental.js';
import { statusOf, type CheckInput, type Phase } from '../../shared/quality/check.js';
import { WAREHOUSE_CHECKS } from '../../shared/quality/warehouse-checks.js';
import { testEngines } from '../helpers/engines.js';
import { dailyRun, pipelineFixture, type LoadedPipeline, seedBaseEndingYesterday, type TestPipeline } from '../helpers/pipeline.js';
import { stopStorage } from '../helpers/storage.js';

afterAll(() => stopStorage());

const DAY_MS = 24 * 60 * 60 * 1000;

interface Runs {
  /** the full load of the base */
  first: string;
  /** the day of changes: new orders, status changes, customers who moved, product price and category changes */
  second: string;
}
type Loaded = LoadedPipeline<Runs>;

async function outcome(p: Loaded, name: string, phase: Phase, input: Partial<CheckInput> = {}) {
  const check = WAREHOUSE_CHECKS.find((c) => c.name === name && c.phase === phase);
  if (!check) throw new Error(`no check ${name} in phase ${phase}`);
  const o = await check.run({ dw: p.ctx.dw.db, oltp: p.ctx.oltp.db, settings: p.ctx.settings, ...input });
  return { ...o, status: statusOf(check, o.failing) };
}

/** Runs a check of a run phase scoped to the run and over whole tables: both fail alike. */
async function failsBothWays(p: Loaded, name: string, phase: Phase, runId: string) {
  const scoped = await outcome(p, name, phase, { runId });
  expect(await outcome(p, name, phase)).toEqual(scoped);
  expect(scoped.status).toBe('failed');
  return scoped;
}

const one = async <T>(q: { executeTakeFirstOrThrow(): Promise<T> }) => q.executeTakeFirstOrThrow();

/**
 * A customer or product with a closed version and the current one, both written by `runId`;
 * `withSale`: one with a sale keyed to its closed version (which movers have one depends on the day's data).
 */
async function versionedMember(db: Kysely<WarehouseTables>, dim: 'cliente' | 'produto', runId: string, withSale = false) {
  const d = db as Kysely<any>;
  const id = `${dim}_id`;
  let q = d
    .selectFrom(`dw.dim_${dim} as c`)
    .innerJoin(`dw.dim_${dim} as o`, (j) => j.onRef(`o.${id}`, '=', `c.${id}`).onRef('o.valid_to', '=', 'c.valid_from'))
    .select([`c.${id} as id`, `c.${dim}_key as current_key`, `o.${dim}_key as closed_key`, 'c.valid_from as changed_at'])
    .where('c.is_current', '=', true)
    .where('c.run_id', '=', runId)
    .orderBy(`c.${id}`);
  if (withSale)
    q = q.where((eb: ExpressionBuilder<any, any>) =>
      eb.exists(d.selectFrom('dw.fact_vendas as v').select('v.item_id').whereRef(`v.${dim}_key`, '=', `o.${dim}_key`)),
    );
  const row = await one(q);
  return row as { id: number; current_key: number; closed_key: number; changed_at: Date };
}

/** Copies a row of `table` with `changes` (a duplicate for the uniqueness checks). */
async function copyRow(db: Kysely<WarehouseTables>, table: keyof WarehouseTables, key: string, keyValue: number, changes: Record<string, unknown>) {
  const d = db as Kysely<any>;
  const row = await one(d.selectFrom(table).selectAll().where(key, '=', keyValue));
  await d
    .insertInto(table)
    .values({ ...row, ...changes })
    .execute();
}

/** Drops an index of a dw table (a warehouse that lost it), as each engine names it. */
const dropIndex = (db: Kysely<WarehouseTables>, table: string, index: string) =>
  isMssql(db) ? db.schema.dropIndex(index).on(`dw.${table}`).execute() : db.schema.withSchema('dw').dropIndex(index).execute();

const firstKey = async (db: Kysely<WarehouseTables>, table: keyof WarehouseTables, key: string, runId: string) =>
  Number((await one((db as Kysely<any>).selectFrom(table).select(key).where('run_id', '=', runId).orderBy(key)))[key]);

/**
 * The incremental day draws its movers from its instant, and at this scale a mover may have no
 * order at all: steps back a second at a time from now to an instant whose movers include one with
 * an item of a product the day leaves alone, so the tests of a sale placed before a move have one
 * on every day and at every time of day.
 */
async function instantMovingACustomerWithSales(p: TestPipeline, seed: number): Promise<Date> {
  const oltp = p.ctx.oltp;
  const now = (await readClock(oltp.db)).getTime();
  for (let back = 0; back < 60_000; back += 1000) {
    const at = new Date(now - back);
    const plan = await planIncrementalDay(oltp, { at, seed });
    const movers = plan.moves.map((m) => m.id);
    if (movers.length === 0) continue;
    const changedProducts = plan.targets.produtos.updated;
    let sales = oltp.db
      .selectFrom('oltp.pedidos as o')
      .innerJoin('oltp.itens_pedido as i', 'i.pedido_id', 'o.id')
      .select('i.id')
      .where('o.cliente_id', 'in', movers);
    if (changedProducts.length > 0) sales = sales.where('i.produto_id', 'not in', changedProducts);
    const sale = await sales.executeTakeFirst();
    if (sale) return at;
  }
  throw new Error('no instant in the last minute moves a customer who has a sale');
}

describe.each(testEngines())('warehouse quality checks on $name', (engine) => {
  const loaded = pipelineFixture(engine, async (p): Promise<Runs> => {
    await seedBaseEndingYesterday(p, { scale: 0.02, seed: 11 });
    const first = await dailyRun(p);
    await runIncrementalDay(p.ctx.oltp, { at: await instantMovingACustomerWithSales(p, 11), seed: 11 });
    const second = await dailyRun(p);
    return { first: first.runId, second: second.runId };
  });

  /** Runs a test on a copy of its own of the loaded pipeline. */
  async function onCopy(test: (p: Loaded) => Promise<void>): Promise<void> {
    const p = await loaded.fork();
    try {
      await test(p);
    } finally {
      await p.close();
    }
  }

  it('all pass on the loaded warehouse, scoped to the last run and over whole tables; the warehouse has SCD2 history to check', async () => {
    const p = await loaded.shared();
    const db = p.ctx.dw.db as Kysely<any>;
    for (const dim of ['cliente', 'produto']) {
      const versioned = await one(
        db
          .selectFrom(`dw.dim_${dim}`)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('is_current', '=', false),
      );
      expect({ dim, closed: Number(versioned.n) > 0 }).toEqual({ dim, closed: true });
    }
    const results = [];
    for (const check of WAREHOUSE_CHECKS)
      for (const runId of [p.setup.second, undefined]) {
        const o = await outcome(p, check.name, check.phase, runId === undefined ? {} : { runId });
        results.push({ check: `${check.phase}:${check.name}`, runId, status: o.status, failing: o.failing, observed: o.observed, samples: o.samples });
      }
    expect(results.filter((r) => r.status !== 'passed')).toEqual([]);
    // passing checks still say what they saw
    const volume = await outcome(p, 'daily_volume', 'warehouse', { runId: p.setup.second });
    expect(volume.observed).toMatch(/rows loaded by run .*; no baseline: 1 daily runs in the 28 days before \(7 needed\)/);
  });

  describe('blocking checks fail on a broken copy, naming the key', () => {
    it('a duplicated grain of each fact', () =>
      onCopy(async (p) => {
        const db = p.ctx.dw.db;
        const { second } = p.setup;
        const item = await firstKey(db, 'dw.fact_vendas', 'item_id', second);
        const sale = await one(db.selectFrom('dw.fact_vendas').select(['pedido_id', 'numero_item']).where('item_id', '=', item));
        await copyRow(db, 'dw.fact_vendas', 'item_id', item, { item_id: item + 1_000_000 });
        const vendas = await failsBothWays(p, 'fact_vendas_grain_unique', 'facts', second);
        expect(vendas).toMatchObject({ failing: 1, observed: '1 duplicated (pedido_id, numero_item)', expected: '0 duplicates' });
        expect(vendas.samples).toEqual([`pedido_id=${sale.pedido_id}, numero_item=${sale.numero_item}, copies=2`]);

        const discount = await firstKey(db, 'dw.fact_descontos', 'item_id', second);
        await copyRow(db, 'dw.fact_descontos', 'item_id', discount, { item_id: discount + 1_000_000 });
        expect(await failsBothWays(p, 'fact_descontos_grain_unique', 'facts', second)).toMatchObject({ failing: 1 });

        // fact_metas also has a unique index on its grain: a warehouse that lost it
        const meta = await firstKey(db, 'dw.fact_metas', 'meta_id', p.setup.first);
        const target = await one(db.selectFrom('dw.fact_metas').select(['vendedor_id', 'mes']).where('meta_id', '=', meta));
        await dropIndex(db, 'fact_metas', 'uq_fact_metas_vendedor_mes');
        await copyRow(db, 'dw.fact_metas', 'meta_id', meta, { meta_id: meta + 1_000_000, run_id: second });
        const metas = await failsBothWays(p, 'fact_metas_grain_unique', 'facts', second);
        expect(metas.samples).toEqual([`vendedor_id=${target.vendedor_id}, mes=${target.mes}, copies=2`]);
        // the other facts' checks did not raise it
        expect((await outcome(p, 'fact_vendas_money_identities', 'facts', { runId: second })).status).toBe('passed');
      }));

    // the constraint is dropped by PostgreSQL's name for it (SQL Server generates its names)
    const onPostgres = engine.name === 'mssql' ? it.skip : it;
    onPostgres('a duplicated business key of an SCD1 dimension', () =>
      onCopy(async (p) => {
        const db = p.ctx.dw.db;
        // dim_vendedor also has a unique constraint on it (PostgreSQL's name): a warehouse that lost it
        const key = await firstKey(db, 'dw.dim_vendedor', 'vendedor_key', p.setup.first);
        const seller = await one(db.selectFrom('dw.dim_vendedor').select('vendedor_id').where('vendedor_key', '=', key));
        await db.schema.withSchema('dw').alterTable('dim_vendedor').dropConstraint('dim_vendedor_vendedor_id_key').execute();
        await copyRow(db, 'dw.dim_vendedor', 'vendedor_key', key, { vendedor_key: key + 1_000_000, run_id: p.setup.second });
        const o = await failsBothWays(p, 'dim_vendedor_business_key_unique', 'dimensions', p.setup.second);
        expect(o).toMatchObject({ failing: 1, observed: '1 duplicated (vendedor_id)', samples: [`vendedor_id=${seller.vendedor_id}, copies=2`] });
        expect((await outcome(p, 'dim_campanha_business_key_unique', 'dimensions')).status).toBe('passed');
      }),
    );

    it('an SCD2 member with overlapping versions, with two current versions, with a gap', () =>
      onCopy(async (p) => {
        const db = p.ctx.dw.db;
        const { second } = p.setup;
        // a customer who moved: the closed version now ends a day after the current one starts
        const moved = await versionedMember(db, 'cliente', second);
        await db
          .updateTable('dw.dim_cliente')
          .set({ valid_to: new Date(new Date(moved.changed_at).getTime() + DAY_MS) })
          .where('cliente_key', '=', moved.closed_key)
          .execute();
        const clientes = await failsBothWays(p, 'dim_cliente_scd2_integrity', 'dimensions', second);
        expect(clientes).toMatchObject({ failing: 1, observed: '1 members with a broken history: 1 with overlapping versions' });
        expect(clientes.samples).toEqual([
          `cliente_id=${moved.id}, versions=2, current_versions=1, empty_ranges=0, overlaps=1, gaps=0, late_starts=0, not_open_ended=0`,
        ]);
        expect((await outcome(p, 'dim_cliente_scd2_integrity', 'warehouse')).samples).toEqual(clientes.samples);
        // every version still contains its facts' order times: the point-in-time check is not the one raising it
        expect((await outcome(p, 'fact_vendas_point_in_time', 'facts')).status).toBe('passed');

        // a repriced product whose closed version is current again (the unique index on the current row lost)
        const repriced = await versionedMember(db, 'produto', second);
        await dropIndex(db, 'dim_produto', 'ix_dim_produto_current');
        await db.updateTable('dw.dim_produto').set({ is_current: true }).where('produto_key', '=', repriced.closed_key).execute();
        const produtos = await failsBothWays(p, 'dim_produto_scd2_integrity', 'dimensions', second);
        expect(produtos).toMatchObject({
          failing: 1,
          observed: '1 members with a broken history: 1 without exactly one current version, 1 whose current or last version is not open-ended',
        });
        expect(produtos.samples[0]).toMatch(new RegExp(`^produto_id=${repriced.id}, versions=2, current_versions=2,`));

        // a gap: the current version starts a minute after the closed one ends
        await db.updateTable('dw.dim_produto').set({ is_current: false }).where('produto_key', '=', repriced.closed_key).execute();
        await db
          .updateTable('dw.dim_produto')
          .set({ valid_from: new Date(new Date(repriced.changed_at).getTime() + 60_000) })
          .where('produto_key', '=', repriced.current_key)
          .execute();
        expect(await failsBothWays(p, 'dim_produto_scd2_integrity', 'dimensions', second)).toMatchObject({
          failing: 1,
          observed: '1 members with a broken history: 1 with a gap between versions',
        });
      }));

    it('a fact keyed to a version that was not valid at its order time', () =>
      onCopy(async (p) => {
        const db = p.ctx.dw.db;
        const { second } = p.setup;
        // a sale placed before its customer moved, pointed at the version after the move
        const moved = await versionedMember(db, 'cliente', second, true);
        const sale = await one(
          db
            .selectFrom('dw.fact_vendas')
            .select(['item_id', 'pedido_id', 'numero_item', 'data_pedido', 'cliente_id', 'produto_id', 'produto_key'])
            .where('cliente_key', '=', moved.closed_key)
            .orderBy('item_id'),
        );
        await db.updateTable('dw.fact_vendas').set({ cliente_key: moved.current_key, run_id: second }).where('item_id', '=', sale.item_id).execute();
        const vendas = await failsBothWays(p, 'fact_vendas_point_in_time', 'facts', second);
        expect(vendas).toMatchObject({ failing: 1, observed: '1 fact rows keyed to a version not valid at the order time: 1 on cliente_key' });
        expect(vendas.samples).toEqual([
          `item_id=${sale.item_id}, pedido_id=${sale.pedido_id}, numero_item=${sale.numero_item}, data_pedido=${new Date(sale.data_pedido!).toISOString()}, ` +
            `cliente_id=${sale.cliente_id}, cliente_key=${moved.current_key}, produto_id=${sale.produto_id}, produto_key=${sale.produto_key}, wrong_cliente=1, wrong_produto=0`,
        ]);
        expect((await outcome(p, 'dim_cliente_scd2_integrity', 'warehouse')).status).toBe('passed');

        // a discount keyed to another product's version
        const discount = await one(db.selectFrom('dw.fact_descontos').select(['item_id', 'produto_key']).where('run_id', '=', second).orderBy('item_id'));
        const other = await one(
          db
            .selectFrom('dw.dim_produto')
            .select('produto_key')
            .where('produto_key', '>', 0)
            .where('produto_key', '<>', discount.produto_key)
            .orderBy('produto_key'),
        );
        await db.updateTable('dw.fact_descontos').set({ produto_key: other.produto_key }).where('item_id', '=', discount.item_id).execute();
        const descontos = await failsBothWays(p, 'fact_descontos_point_in_time', 'facts', second);
        expect(descontos).toMatchObject({ failing: 1, observed: '1 fact rows keyed to a version not valid at the order time: 1 on produto_key' });
        expect(descontos.samples[0]).toMatch(new RegExp(`^item_id=${discount.item_id}, .*produto_key=${other.produto_key}, wrong_cliente=0, wrong_produto=1$`));
      }));

    it('agrees with the load at the boundary between two versions: valid_from inclusive, valid_to exclusive', () =>
      onCopy(async (p) => {
        const db = p.ctx.dw.db;
        const { second } = p.setup;
        // a customer who moved in the second run, and a sale of theirs whose product has a single
        // version (any mover: which ones have such a sale depends on the day's data)
        const found = await one(
          db
            .selectFrom('dw.dim_cliente as c')
            .innerJoin('dw.dim_cliente as o', (j) => j.onRef('o.cliente_id', '=', 'c.cliente_id').onRef('o.valid_to', '=', 'c.valid_from'))
            .innerJoin('dw.fact_vendas as v', 'v.cliente_key', 'o.cliente_key')
            .innerJoin('dw.dim_produto as d', 'd.produto_key', 'v.produto_key')
            .select(['c.cliente_key as current_key', 'o.cliente_key as closed_key', 'c.valid_from as changed_at', 'v.item_id'])
            .where('c.is_current', '=', true)
            .where('c.run_id', '=', second)
            .where('d.valid_from', '=', FAR_PAST)
            .where('d.valid_to', '=', FAR_FUTURE)
            .orderBy('c.cliente_id')
            .orderBy('v.item_id'),
        );
        const moved = { current_key: found.current_key, closed_key: found.closed_key, changed_at: found.changed_at };
        const sale = { item_id: found.item_id };
        const placeAt = (cliente_key: number) =>
          db.updateTable('dw.fact_vendas').set({ data_pedido: moved.changed_at, cliente_key, run_id: second }).where('item_id', '=', sale.item_id).execute();
        await placeAt(moved.closed_key);
        const closed = await outcome(p, 'fact_vendas_point_in_time', 'facts', { runId: second });
        expect(closed).toMatchObject({ failing: 1, observed: '1 fact rows keyed to a version not valid at the order time: 1 on cliente_key' });
        expect(closed.samples[0]).toMatch(new RegExp(`^item_id=${sale.item_id}, `));
        await placeAt(moved.current_key);
        expect(await outcome(p, 'fact_vendas_point_in_time', 'facts', { runId: second })).toMatchObject({ status: 'passed', failing: 0 });
      }));

    it('a fact amount off by R$ 0,01', () =>
      onCopy(async (p) => {
        const db = p.ctx.dw.db;
        const { second } = p.setup;
        const [gross, margin] = (
          await firstRows(
            db,
            db.selectFrom('dw.fact_vendas').select('item_id').where('run_id', '=', second).where('custo_total', 'is not', null).orderBy('item_id'),
            2,
          ).execute()
        ).map((r) => Number(r.item_id));
        await db
          .updateTable('dw.fact_vendas')
          .set({ valor_bruto: sql`valor_bruto + 0.01` })
          .where('item_id', '=', gross!)
          .execute();
        await db
          .updateTable('dw.fact_vendas')
          .set({ margem: sql`margem - 0.01` })
          .where('item_id', '=', margin!)
          .execute();
        const vendas = await failsBothWays(p, 'fact_vendas_money_identities', 'facts', second);
        expect(vendas).toMatchObject({
          failing: 2,
          observed:
            '2 fact rows breaking a money identity: 1 with valor_liquido <> valor_bruto - valor_desconto, ' +
            '1 with margem <> valor_liquido - custo_total (null when custo_total is null)',
        });
        expect(vendas.samples.map((s) => s.match(/^item_id=(\d+),.*net_mismatch=(\d), margin_mismatch=(\d)$/)?.slice(1))).toEqual([
          [String(gross), '1', '0'],
          [String(margin), '0', '1'],
        ]);

        const discount = await firstKey(db, 'dw.fact_descontos', 'item_id', second);
        await db
          .updateTable('dw.fact_descontos')
          .set({ valor_liquido: sql`valor_liquido - 0.01` })
          .where('item_id', '=', discount)
          .execute();
        const descontos = await failsBothWays(p, 'fact_descontos_money_identities', 'facts', second);
        expect(descontos).toMatchObject({ failing: 1 });
        expect(descontos.samples[0]).toMatch(new RegExp(`^item_id=${discount}, `));
        expect((await outcome(p, 'fact_descontos_grain_unique', 'facts', { runId: second })).status).toBe('passed');
      }));
  });

  it("a run's check sees only that run's rows; without a run, whole tables", () =>
    onCopy(async (p) => {
      const db = p.ctx.dw.db;
      const { first, second } = p.setup;
      // rows the day of changes did not write: untouched by its run-scoped checks
      const item = await firstKey(db, 'dw.fact_vendas', 'item_id', first);
      await copyRow(db, 'dw.fact_vendas', 'item_id', item, { item_id: item + 1_000_000, run_id: 'r-other' });
      await db
        .updateTable('dw.fact_vendas')
        .set({ valor_liquido: sql`valor_liquido + 0.01` })
        .where('item_id', '=', item)
        .execute();
      const member = await one(
        db.selectFrom('dw.dim_cliente').select('cliente_key').where('run_id', '=', first).where('cliente_key', '>', 0).orderBy('cliente_key'),
      );
      await db
        .updateTable('dw.dim_cliente')
        .set({ valid_from: new Date('2000-01-01T00:00:00Z') })
        .where('cliente_key', '=', member.cliente_key)
        .execute();
      for (const [name, phase] of [
        ['fact_vendas_grain_unique', 'facts'],
        ['fact_vendas_money_identities', 'facts'],
        ['dim_cliente_scd2_integrity', 'dimensions'],
      ] as const) {
        expect({ name, status: (await outcome(p, name, phase, { runId: second })).status }).toEqual({ name, status: 'passed' });
        expect({ name, failing: (await outcome(p, name, phase)).failing }).toEqual({ name, failing: 1 });
      }
      expect((await outcome(p, 'dim_cliente_scd2_integrity', 'dimensions')).observed).toBe(
        '1 members with a broken history: 1 whose history does not start at FAR_PAST',
      );
    }));

  describe('warning checks', () => {
    it('unknown_member_share: a fact waiting for its customer for 30 days, or a share above the threshold', () =>
      onCopy(async (p) => {
        const db = p.ctx.dw.db;
        const now = new Date();
        // a sale without a discount fact, so only fact_vendas has it
        const sale = await one(
          db
            .selectFrom('dw.fact_vendas as v')
            .leftJoin('dw.fact_descontos as d', 'd.item_id', 'v.item_id')
            .select('v.item_id')
            .where('d.item_id', 'is', null)
            .orderBy('v.item_id'),
        );
        await db
          .updateTable('dw.fact_vendas')
          .set({ cliente_key: -1, loaded_at: new Date(now.getTime() - 30 * DAY_MS) })
          .where('item_id', '=', sale.item_id)
          .execute();
        const total = Number((await one(db.selectFrom('dw.fact_vendas').select((eb) => eb.fn.countAll().as('n')))).n);
        const old = await outcome(p, 'unknown_member_share', 'warehouse', { now });
        expect(old).toMatchObject({ status: 'warned', failing: 1 });
        expect(old.samples).toEqual([
          `fact=fact_vendas, column=cliente_key, unknown=1, rows=${total}, share=${(100 / total).toFixed(2)}%, oldest_loaded_at=${new Date(now.getTime() - 30 * DAY_MS).toISOString()}`,
        ]);
        const settings = { ...p.ctx.settings, QUALITY_UNKNOWN_AGE_WARN_DAYS: 60 };
        // 1 row in hundreds is under 1%: not old enough, not many enough
        expect(await outcome(p, 'unknown_member_share', 'warehouse', { now, settings })).toMatchObject({ status: 'passed', failing: 0 });
        expect(await outcome(p, 'unknown_member_share', 'warehouse', { now, settings: { ...settings, QUALITY_UNKNOWN_SHARE_WARN_PERCENT: 0 } })).toMatchObject({
          status: 'warned',
          failing: 1,
        });
      }));

    it('daily_volume: no baseline below 7 earlier daily runs; a run far from the median of the 28 days before', () =>
      onCopy(async (p) => {
        const db = p.ctx.dw.db;
        const { second } = p.setup;
        const run = await one(db.selectFrom('etl.run').select('started_at').where('run_id', '=', second));
        const rows = Number((await outcome(p, 'daily_volume', 'warehouse', { runId: second })).observed.match(/^(\d+) rows/)![1]);
        /** `count` earlier daily runs, one a day before the measured one, each loading `rows` */
        const history = async (from: number, count: number, rows: number) => {
          for (let day = from; day < from + count; day++) {
            const runId = `r-history-${day}`;
            const at = new Date(new Date(run.started_at).getTime() - day * DAY_MS);
            await db.insertInto('etl.run').values({ run_id: runId, kind: 'daily', status: 'succeeded', started_at: at, finished_at: at }).execute();
            await db
              .insertInto('etl.run_step')
              .values({ run_id: runId, step: 'facts', entity: 'itens_pedido', status: 'succeeded', started_at: at, rows_loaded: rows })
              .execute();
          }
        };
        // the full load (the first run, minutes earlier) and 5 days make 6 in the window; 30 days back is outside it
        await history(1, 5, rows);
        await history(30, 1, rows);
        expect(await outcome(p, 'daily_volume', 'warehouse', { runId: second })).toMatchObject({
          status: 'passed',
          observed: expect.stringMatching(/no baseline: 6 daily runs/),
        });
        // 8 runs: 7 days like this one hold the median, whatever the full load loaded
        await history(6, 2, rows);
        const equal = await outcome(p, 'daily_volume', 'warehouse', { runId: second });
        expect(equal).toMatchObject({ status: 'passed', observed: `${rows} rows loaded by run ${second} vs a median of ${rows} over 8 daily runs (+0.0%)` });
        await db
          .updateTable('etl.run_step')
          .set({ rows_loaded: 10 * rows })
          .where('run_id', 'like', 'r-history-%')
          .execute();
        const low = await outcome(p, 'daily_volume', 'warehouse');
        // without a run: the newest daily run that succeeded, the same one
        expect(low).toMatchObject({
          status: 'warned',
          failing: 1,
          observed: `${rows} rows loaded by run ${second} vs a median of ${10 * rows} over 8 daily runs (-90.0%)`,
        });
        expect(low.samples).toEqual([`run_id=${second}, rows_loaded=${rows}, median=${10 * rows}, baseline_runs=8`]);
      }));

    it('rejected_rows: the rows the run (or the newest run) quarantined', () =>
      onCopy(async (p) => {
        const db = p.ctx.dw.db;
        const { first, second } = p.setup;
        const reject = (runId: string, seq: number, key: string) =>
          db
            .insertInto('etl.rejected_row')
            .values({ run_id: runId, entity: 'clientes', seq, business_key: key, reason: 'nome: required', raw_row: '{}' })
            .execute();
        await reject(second, 2, '17');
        await reject(second, 1, '12');
        await reject(first, 1, '3');
        const o = await outcome(p, 'rejected_rows', 'warehouse', { runId: second });
        expect(o).toMatchObject({ status: 'warned', failing: 2, observed: '2 rows quarantined by the run' });
        expect(o.samples).toEqual([
          'entity=clientes, seq=1, business_key=12, reason=nome: required',
          'entity=clientes, seq=2, business_key=17, reason=nome: required',
        ]);
        expect(await outcome(p, 'rejected_rows', 'warehouse')).toEqual(o);
        expect((await outcome(p, 'rejected_rows', 'warehouse', { runId: first })).failing).toBe(1);
      }));

    it("freshness: the newest watermark against the source's clock; it needs the source", () =>
      onCopy(async (p) => {
        const db = p.ctx.dw.db;
        for (const w of await db.selectFrom('etl.watermark').select(['entity', 'high_water']).execute())
          await db
            .updateTable('etl.watermark')
            .set({ high_water: new Date(new Date(w.high_water).getTime() - 3 * DAY_MS) })
            .where('entity', '=', w.entity)
            .execute();
        const o = await outcome(p, 'freshness', 'warehouse');
        expect(o).toMatchObject({ status: 'warned', failing: 1, expected: `at most ${p.ctx.settings.QUALITY_FRESHNESS_WARN_MINUTES} min behind the source` });
        expect(o.observed).toMatch(/^newest watermark \S+ \(\w+\) is 43\d\d min behind the source clock /);
        expect(o.samples).toHaveLength(1);
        await expect(outcome(p, 'freshness', 'warehouse', { oltp: undefined })).rejects.toThrow(/input\.oltp/);
      }));
  });
});
