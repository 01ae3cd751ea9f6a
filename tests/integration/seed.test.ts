// The base seed on every engine: reproducible byte for byte, sized by --scale, Brazilian, and
// consistent (money to the cent, statuses vs timestamps, nothing at or after --as-of).
import { spawnSync } from 'node:child_process';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../shared/db/database.js';
import { OLTP_TABLES, PAID_STATUSES } from '../../shared/model/oltp-tables.js';
import { seedBase, seedSizes } from '../../shared/seed/base.js';
import { UFS } from '../../shared/seed/brazil.js';
import { SeedError } from '../../shared/seed/errors.js';
import { parseSeedFlags } from '../../shared/seed/options.js';
import { snapshotOltp, type OltpSnapshot } from '../../shared/seed/snapshot.js';
import { freshDatabaseForAll, testEngines, withFreshDatabase } from '../helpers/engines.js';

const AS_OF = new Date('2026-03-01T00:00:00.000Z');
const SMALL = 0.02;
const DOUBLE = 0.04;

async function count(db: Kysely<any>, query: RawBuilder<any>): Promise<number> {
  const r = await query.execute(db);
  return Number((r.rows[0] as { n: number | string }).n);
}

/** Deletes every OLTP row (children first), so a second seed can run in the same database. */
async function emptyOltp(database: Database): Promise<void> {
  for (const table of [...OLTP_TABLES].reverse()) {
    if (table === 'categorias') await database.db.updateTable('oltp.categorias').set({ categoria_pai_id: null }).execute();
    await database.db.deleteFrom(`oltp.${table}`).execute();
  }
}

function expectSameRows(a: OltpSnapshot, b: OltpSnapshot): void {
  for (const table of OLTP_TABLES) {
    expect({ table, rows: [...b[table]] }).toEqual({ table, rows: [...a[table]] });
  }
}

/** Every money rule of the OLTP, as SQL; each query counts violations. */
const MONEY_RULES: Record<string, RawBuilder<any>> = {
  'item gross = unit price x quantity, net = gross - discount, nothing negative': sql`
    select count(*) as n from oltp.itens_pedido
    where valor_bruto <> preco_unitario * quantidade or valor_liquido <> valor_bruto - valor_desconto
       or valor_desconto < 0 or valor_liquido < 0 or valor_frete < 0`,
  'item cost = product cost x quantity': sql`
    select count(*) as n from oltp.itens_pedido i join oltp.produtos p on p.id = i.produto_id
    where i.custo_total <> p.custo * i.quantidade`,
  'discounts only on items with a campaign': sql`
    select count(*) as n from oltp.itens_pedido where valor_desconto <> 0 and campanha_id is null`,
  'percentual discount = gross x rate rounded to cents, rate = the campaign rate': sql`
    select count(*) as n from oltp.itens_pedido i join oltp.campanhas c on c.id = i.campanha_id
    where c.tipo = 'percentual' and (i.percentual_desconto is null or i.percentual_desconto <> c.percentual
       or i.valor_desconto <> round(i.valor_bruto * i.percentual_desconto, 2))`,
  'coupon items: no rate, the order carries the campaign': sql`
    select count(*) as n from oltp.itens_pedido i join oltp.campanhas c on c.id = i.campanha_id
    join oltp.pedidos p on p.id = i.pedido_id
    where c.tipo = 'cupom' and (i.percentual_desconto is not null or p.campanha_id is null or p.campanha_id <> i.campanha_id)`,
  'coupon = min(coupon value, order gross), spread over its live items': sql`
    select count(*) as n from oltp.pedidos p join oltp.campanhas c on c.id = p.campanha_id
    where p.valor_desconto <> case when c.valor_cupom < p.valor_produtos then c.valor_cupom else p.valor_produtos end`,
  'order totals = sums over live items; total = products - discount + freight': sql`
    select count(*) as n from oltp.pedidos p
    left join (select pedido_id, sum(valor_bruto) as b, sum(valor_desconto) as d, sum(valor_frete) as f
               from oltp.itens_pedido where deleted_at is null group by pedido_id) s on s.pedido_id = p.id
    where s.pedido_id is null or p.valor_produtos <> s.b or p.valor_desconto <> s.d or p.valor_frete <> s.f
       or p.valor_total <> p.valor_produtos - p.valor_desconto + p.valor_frete`,
  'paid orders: payments add up to the total, numbered 1..n': sql`
    select count(*) as n from oltp.pedidos p
    left join (select pedido_id, sum(valor) as v, count(*) as k, max(sequencial) as m, min(sequencial) as s1
               from oltp.pagamentos group by pedido_id) s on s.pedido_id = p.id
    where p.data_aprovacao is not null and (s.pedido_id is null or s.v <> p.valor_total or s.m <> s.k or s.s1 <> 1)`,
  'unpaid orders have no payment': sql`
    select count(*) as n from oltp.pagamentos g join oltp.pedidos p on p.id = g.pedido_id where p.data_aprovacao is null`,
  'instalments only on credit cards (1-10)': sql`
    select count(*) as n from oltp.pagamentos
    where (tipo = 'cartao_credito' and (parcelas < 1 or parcelas > 10)) or (tipo <> 'cartao_credito' and parcelas <> 1)`,
};

async function expectMoneyRules(db: Kysely<any>): Promise<void> {
  for (const [rule, query] of Object.entries(MONEY_RULES)) {
    expect({ rule, violations: await count(db, query) }).toEqual({ rule, violations: 0 });
  }
}

describe.each(testEngines())('base seed on $name', (engine) => {
  const SEED_42 = { scale: SMALL, seed: 42, asOf: AS_OF };
  // One seeded database that the tests only read; tests that seed again get their own database.
  const a = freshDatabaseForAll(engine, 'oltp');
  let countsA: Awaited<ReturnType<typeof seedBase>>;
  beforeAll(async () => {
    countsA = await seedBase(a.database, SEED_42);
  });

  it('writes the same rows, byte for byte, for the same seed, scale and as-of', async () => {
    await withFreshDatabase(engine, 'oltp', async (b) => {
      expect(await seedBase(b, SEED_42)).toEqual(countsA);
      expectSameRows(await snapshotOltp(a.database), await snapshotOltp(b));
    });
  });

  it('refuses to seed an OLTP that already has rows', async () => {
    await expect(seedBase(a.database, SEED_42)).rejects.toThrow(/OLTP database is not empty \(categorias: \d+.*pedidos: \d+/);
  });

  it('fills every table with the sizes --scale promises', async () => {
    const sizes = seedSizes(SMALL);
    const counts = Object.fromEntries(
      await Promise.all(OLTP_TABLES.map(async (t) => [t, await count(a.database.db, sql`select count(*) as n from ${sql.table(`oltp.${t}`)}`)] as const)),
    );
    for (const t of OLTP_TABLES) expect(counts[t]).toBeGreaterThan(0);
    expect(counts).toMatchObject({
      pedidos: sizes.pedidos,
      clientes: sizes.clientes,
      produtos: sizes.produtos,
      vendedores: sizes.vendedores,
      campanhas: sizes.campanhas,
      categorias: sizes.categorias,
      metas: sizes.vendedores * 24,
    });
    expect(sizes).toMatchObject({ pedidos: 400, clientes: 160, produtos: 40, vendedores: 5, campanhas: 6 });
    // 1-4 items per order, weighted to 1; most orders paid.
    expect(counts.itens_pedido! / counts.pedidos!).toBeGreaterThan(1.1);
    expect(counts.itens_pedido! / counts.pedidos!).toBeLessThan(1.6);
    expect(counts.pagamentos! / counts.pedidos!).toBeGreaterThan(0.85);
    expect(counts.pagamentos! / counts.pedidos!).toBeLessThan(1.3);
  });

  it('keeps every money rule to the cent', async () => {
    await expectMoneyRules(a.database.db);
    // Both campaign types were used, and discounts reached the orders.
    const used = await sql<{ tipo: string; n: number | string }>`
      select c.tipo, count(*) as n from oltp.itens_pedido i join oltp.campanhas c on c.id = i.campanha_id group by c.tipo order by c.tipo`.execute(
      a.database.db,
    );
    expect(used.rows.map((r) => r.tipo)).toEqual(['cupom', 'percentual']);
  });

  it('has statuses that match their timestamps, all before --as-of', async () => {
    const db = a.database.db;
    const asOf = AS_OF.toISOString();
    for (const t of OLTP_TABLES) {
      const bad = await count(
        db,
        sql`select count(*) as n from ${sql.table(`oltp.${t}`)} where updated_at >= ${asOf} or created_at > updated_at or created_at < ${'2024-03-01T00:00:00Z'}`,
      );
      expect({ table: t, bad }).toEqual({ table: t, bad: 0 });
    }
    const inconsistent = await count(
      db,
      sql`
      select count(*) as n from oltp.pedidos where
        created_at <> data_pedido or updated_at < data_pedido
        or data_aprovacao >= ${asOf} or data_envio >= ${asOf} or data_entrega >= ${asOf} or data_cancelamento >= ${asOf}
        or data_aprovacao < data_pedido or data_envio < data_aprovacao or data_entrega < data_envio or data_cancelamento < data_pedido
        or data_entrega_prevista is null
        or (status = 'criado' and (data_aprovacao is not null or data_envio is not null or data_entrega is not null or data_cancelamento is not null))
        or (status in ('aprovado', 'faturado') and (data_aprovacao is null or data_envio is not null or data_cancelamento is not null))
        or (status = 'enviado' and (data_envio is null or data_entrega is not null or data_cancelamento is not null))
        or (status = 'entregue' and (data_entrega is null or data_envio is null or data_aprovacao is null or data_cancelamento is not null))
        or (status = 'cancelado' and (data_cancelamento is null or data_envio is not null or updated_at <> data_cancelamento))
        or (status = 'entregue' and updated_at <> data_entrega)
        or status not in ('criado', 'aprovado', 'faturado', 'enviado', 'entregue', 'cancelado')`,
    );
    expect(inconsistent).toBe(0);
    const paidWithoutApproval = await count(
      db,
      sql`select count(*) as n from oltp.pedidos where status in (${sql.join([...PAID_STATUSES])}) and data_aprovacao is null`,
    );
    expect(paidWithoutApproval).toBe(0);

    const byStatus = await sql<{ status: string; old: number | string; recent: number | string }>`
      select status,
        sum(case when data_pedido < ${'2026-01-01T00:00:00Z'} then 1 else 0 end) as old,
        sum(case when data_pedido >= ${'2026-02-22T00:00:00Z'} then 1 else 0 end) as recent
      from oltp.pedidos group by status`.execute(db);
    const old = Object.fromEntries(byStatus.rows.map((r) => [r.status, Number(r.old)]));
    const recent = Object.fromEntries(byStatus.rows.map((r) => [r.status, Number(r.recent)]));
    const oldTotal = Object.values(old).reduce((s, n) => s + n, 0);
    expect(old.entregue! / oldTotal).toBeGreaterThan(0.88);
    expect(old.cancelado! / oldTotal).toBeGreaterThan(0.02);
    expect(old.cancelado! / oldTotal).toBeLessThan(0.1);
    expect((old.criado ?? 0) + (old.aprovado ?? 0) + (old.faturado ?? 0) + (old.enviado ?? 0)).toBe(0);
    // The last week is still moving through the pipeline.
    expect((recent.criado ?? 0) + (recent.aprovado ?? 0) + (recent.faturado ?? 0) + (recent.enviado ?? 0)).toBeGreaterThan(0);
    // Orders cover the 24 months before as-of.
    const span = await sql<{ first: Date | string; last: Date | string }>`select min(data_pedido) as first, max(data_pedido) as last from oltp.pedidos`.execute(
      db,
    );
    expect(new Date(span.rows[0]!.first).getTime()).toBeLessThan(Date.parse('2024-04-01T00:00:00Z'));
    expect(new Date(span.rows[0]!.last).getTime()).toBeGreaterThan(Date.parse('2026-02-27T00:00:00Z'));
  });

  it('looks Brazilian: UFs with their region, two-level Portuguese categories, BRL catalogue, both campaign types, monthly targets', async () => {
    const db = a.database.db;
    const regionOf = new Map(UFS.map((u) => [u.sigla, u.regiao]));
    const clientes = await db.selectFrom('oltp.clientes').select(['estado', 'regiao', 'segmento', 'cep_prefixo', 'email']).execute();
    for (const c of clientes) {
      expect(c.regiao).toBe(regionOf.get(c.estado));
      expect(['Consumidor', 'Corporativo', 'Pequena empresa']).toContain(c.segmento);
      expect(c.cep_prefixo).toMatch(/^\d{5}$/);
      expect(c.email).toMatch(/@example\.(com|net|org)$/);
    }
    expect(new Set(clientes.map((c) => c.estado)).size).toBeGreaterThan(5);
    const vendedores = await db.selectFrom('oltp.vendedores').select(['estado']).execute();
    for (const v of vendedores) expect(regionOf.has(v.estado)).toBe(true);

    expect(
      await count(db, sql`select count(*) as n from oltp.produtos p join oltp.categorias c on c.id = p.categoria_id where c.categoria_pai_id is null`),
    ).toBe(0);
    expect(
      await count(
        db,
        sql`select count(*) as n from oltp.categorias c join oltp.categorias pai on pai.id = c.categoria_pai_id where pai.categoria_pai_id is not null`,
      ),
    ).toBe(0);
    expect(await count(db, sql`select count(*) as n from oltp.categorias where nome = ${'Cama, Mesa e Banho'}`)).toBe(1);
    expect(await count(db, sql`select count(*) as n from oltp.produtos where custo >= preco_lista or custo <= 0 or peso_g <= 0`)).toBe(0);
    expect(
      await count(
        db,
        sql`select count(*) as n from oltp.campanhas where not (
        (tipo = 'percentual' and percentual > 0 and percentual < 1 and valor_cupom is null) or
        (tipo = 'cupom' and percentual is null and valor_cupom > 0)) or fim <= inicio or custo <= 0`,
      ),
    ).toBe(0);
    const meses = await sql<{ mes: Date | string; n: number | string }>`select mes, count(*) as n from oltp.metas group by mes order by mes`.execute(db);
    expect(meses.rows).toHaveLength(24);
    const first = new Date(meses.rows[0]!.mes);
    const last = new Date(meses.rows[23]!.mes);
    expect([first.getUTCFullYear(), first.getUTCMonth() + 1, first.getUTCDate()]).toEqual([2024, 3, 1]);
    expect([last.getUTCFullYear(), last.getUTCMonth() + 1, last.getUTCDate()]).toEqual([2026, 2, 1]);
    expect(await count(db, sql`select count(*) as n from oltp.metas where valor_meta <= 0 or quantidade_meta < 1`)).toBe(0);
  });

  it('gives different rows for another seed, and orders double with the scale', async () => {
    await withFreshDatabase(engine, 'oltp', async (b) => {
      await seedBase(b, { scale: SMALL, seed: 7, asOf: AS_OF });
      const a42 = await snapshotOltp(a.database);
      const b7 = await snapshotOltp(b);
      for (const t of ['clientes', 'produtos', 'pedidos', 'itens_pedido'] as const) {
        const same = [...a42[t]].filter(([id, row]) => b7[t].get(id) === row).length;
        expect({ table: t, same }).toEqual({ table: t, same: 0 });
      }
      await expectMoneyRules(b.db);

      await emptyOltp(b);
      const big = await seedBase(b, { scale: DOUBLE, seed: 7, asOf: AS_OF, chunkOrders: 97 });
      const small = seedSizes(SMALL);
      expect(big.pedidos).toBe(2 * small.pedidos);
      expect(big.clientes).toBe(2 * small.clientes);
      expect(big.produtos).toBe(2 * small.produtos);
      expect(big.vendedores).toBe(seedSizes(DOUBLE).vendedores);
      expect(big.campanhas).toBe(Math.round(40 * Math.sqrt(DOUBLE)));
      expect(big.itens_pedido).toBeGreaterThan(big.pedidos * 1.1);
      expect(big.itens_pedido).toBeLessThan(big.pedidos * 1.6);
      // Small chunks (97 orders) exercise many bulk calls and still keep the rules.
      await expectMoneyRules(b.db);
    });
  });
});

describe('seed flags', () => {
  const now = Date.parse('2026-11-29T15:30:00Z');
  it('defaults to scale 1, seed 42, as-of today 00:00 UTC', () => {
    expect(parseSeedFlags({}, now)).toEqual({ scale: 1, seed: 42, asOf: new Date('2026-11-29T00:00:00Z') });
    expect(parseSeedFlags({ scale: '0.05', seed: '7', 'as-of': '2026-03-01' }, now)).toEqual({ scale: 0.05, seed: 7, asOf: AS_OF });
  });

  it.each([
    [{ scale: '0' }, /--scale must be a number > 0 and <= 100.*got '0'/],
    [{ scale: 'abc' }, /--scale must be a number > 0.*got 'abc'/],
    [{ scale: '101' }, /--scale must be a number > 0 and <= 100/],
    [{ scale: '-1' }, /--scale/],
    [{ seed: '4.2' }, /--seed must be a non-negative integer/],
    [{ 'as-of': '2026-02-30' }, /--as-of must be a calendar date YYYY-MM-DD.*'2026-02-30'/],
    [{ 'as-of': '01/03/2026' }, /--as-of must be a calendar date/],
    [{ 'as-of': '2027-01-01' }, /--as-of 2027-01-01 is in the future/],
  ])('rejects %j with a clear message', (values, message) => {
    expect(() => parseSeedFlags(values, now)).toThrow(SeedError);
    expect(() => parseSeedFlags(values, now)).toThrow(message);
  });

  it('npm run seed prints one line and exits 1 on a bad flag, before touching a database', () => {
    const r = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/seed.ts', '--scale', 'abc'], {
      encoding: 'utf8',
      env: { ...process.env, OLTP_CONNECTION_STRING: 'postgres://nobody@127.0.0.1:1/none' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("--scale must be a number > 0 and <= 100 (1 = about 20,000 orders; 0.05 for a quick try), got 'abc'");
    const unknown = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/seed.ts', '--scael', '1'], { encoding: 'utf8' });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown option '--scael'/);
  });
});
