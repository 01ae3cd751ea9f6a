// npm run import:superstore on every test engine: the real Tableau file lands in the OLTP with the
// file's own totals (computed here from the CSV by an independent parse), a second import is
// refused, broken files fail naming line and column and write nothing, and a true Windows-1252
// file decodes to the right characters.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../shared/db/database.js';
import { importSuperstore, readSuperstore, SuperstoreImportError } from '../../shared/import/superstore.js';
import { formatMoney, parseMoney } from '../../shared/model/money.js';
import { superstorePath } from '../helpers/datasets.js';
import { freshDatabaseForAll, testEngines, withFreshDatabase } from '../helpers/engines.js';

// jest runs from the repository root (rootDir); the datasets live next to it.
const REPO = process.cwd();
// a missing dataset fails the suite rather than skipping it: CI lays ../shared beside the clone
const REAL_FILE = superstorePath();
const FIXTURES = resolve(REPO, 'tests/fixtures/superstore');
const AT = '2024-05-06T07:08:09.123Z';
const TABLES = ['categorias', 'vendedores', 'clientes', 'produtos', 'pedidos', 'itens_pedido', 'pagamentos'] as const;
const C1 = /[\u0080-\u009f]/;

/** The file's own facts, from an independent parse (csv-parse/sync, exact decimals). */
function fileFacts() {
  const records = parse(gunzipSync(readFileSync(REAL_FILE)).toString('utf8'), { columns: true }) as Record<string, string>[];
  const distinct = (col: string) => new Set(records.map((r) => r[col])).size;
  const sum = (col: string) => records.reduce((acc, r) => acc + parseMoney(r[col]!), 0n);
  const cities = new Map<string, Set<string>>();
  for (const r of records) {
    const set = cities.get(r['Customer ID']!) ?? new Set<string>();
    set.add(r.City!);
    cities.set(r['Customer ID']!, set);
  }
  const [mover, moverCities] = [...cities].find(([, s]) => s.size > 1)!;
  return {
    lines: records.length,
    orders: distinct('Order ID'),
    customers: distinct('Customer ID'),
    products: distinct('Product ID'),
    sales: formatMoney(sum('Sales')),
    profit: formatMoney(sum('Profit')),
    mover,
    moverCities: [...moverCities].sort(),
  };
}

async function counts(database: Database): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const r = await database.db
      .selectFrom(`oltp.${t}`)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}

async function scalar(database: Database, query: RawBuilder<{ v: unknown }>): Promise<string> {
  const r = await query.execute(database.db);
  return String(r.rows[0]!.v);
}

describe.each(testEngines())('Superstore import on $name', (engine) => {
  describe('the real file', () => {
    const facts = fileFacts();
    // Imported once in beforeAll; the tests only read the result (a refused import writes nothing).
    const oltp = freshDatabaseForAll(engine, 'oltp');
    let database: Database;
    let report: Awaited<ReturnType<typeof importSuperstore>>;
    beforeAll(async () => {
      database = oltp.database;
      report = await importSuperstore(database, REAL_FILE, { at: AT });
    });

    it("loads every line with the file's exact Sales and Profit totals", async () => {
      expect(report).toMatchObject({
        gzip: true,
        encoding: 'utf-8',
        linesRead: facts.lines,
        items: facts.lines,
        orders: facts.orders,
        customers: facts.customers,
        products: facts.products,
        totalSales: facts.sales,
        totalProfit: facts.profit,
        at: AT,
      });
      expect(report.c1Repaired).toBeGreaterThan(0);
      expect(report.customersWithSeveralAddresses).toBeGreaterThan(0);
      expect(report.productsWithSeveralNames).toBeGreaterThan(0);
      expect(report.duplicateLines).toBeGreaterThanOrEqual(1);

      expect(await counts(database)).toEqual({
        categorias: expect.any(Number),
        vendedores: 1,
        clientes: facts.customers,
        produtos: facts.products,
        pedidos: facts.orders,
        itens_pedido: facts.lines,
        pagamentos: facts.orders,
      });
      const sales = await scalar(database, sql<{ v: string }>`select cast(sum(valor_liquido) as varchar(40)) as v from oltp.itens_pedido`);
      const profit = await scalar(database, sql<{ v: string }>`select cast(sum(valor_liquido - custo_total) as varchar(40)) as v from oltp.itens_pedido`);
      expect(formatMoney(parseMoney(sales))).toBe(facts.sales);
      expect(formatMoney(parseMoney(profit))).toBe(facts.profit);
    });

    it('keeps orders consistent: total = items net = payment, gross - discount = net', async () => {
      const bad = await scalar(
        database,
        sql<{ v: string }>`select count(*) as v from oltp.pedidos p
          where p.valor_total <> (select sum(i.valor_liquido) from oltp.itens_pedido i where i.pedido_id = p.id)
             or p.valor_total <> (select sum(g.valor) from oltp.pagamentos g where g.pedido_id = p.id)
             or p.valor_produtos - p.valor_desconto <> p.valor_total
             or p.valor_produtos <> (select sum(i.valor_bruto) from oltp.itens_pedido i where i.pedido_id = p.id)`,
      );
      expect(Number(bad)).toBe(0);
      const badItems = await scalar(
        database,
        sql<{ v: string }>`select count(*) as v from oltp.itens_pedido where valor_bruto - valor_desconto <> valor_liquido or valor_frete <> 0`,
      );
      expect(Number(badItems)).toBe(0);
      // Row 4: Sales 957.5775, Quantity 5, Discount 0.45, Profit -383.031 -> gross 1741.05.
      const item = await database.db
        .selectFrom('oltp.itens_pedido as i')
        .innerJoin('oltp.pedidos as p', 'p.id', 'i.pedido_id')
        .innerJoin('oltp.produtos as pr', 'pr.id', 'i.produto_id')
        .where('p.codigo', '=', 'US-2015-108966')
        .where('pr.codigo', '=', 'FUR-TA-10000577')
        .select([
          'i.numero_item',
          'i.quantidade',
          'i.preco_unitario',
          'i.valor_bruto',
          'i.percentual_desconto',
          'i.valor_desconto',
          'i.valor_liquido',
          'i.custo_total',
          'i.created_at',
          'i.updated_at',
        ])
        .executeTakeFirstOrThrow();
      const money = (v: unknown) => formatMoney(parseMoney(String(v)));
      expect([item.numero_item, item.quantidade].map(Number)).toEqual([1, 5]);
      expect([item.preco_unitario, item.valor_bruto, item.percentual_desconto, item.valor_desconto, item.valor_liquido, item.custo_total].map(money)).toEqual([
        '348.2100',
        '1741.0500',
        '0.4500',
        '783.4725',
        '957.5775',
        '1340.6085',
      ]);
      expect(new Date(item.created_at).toISOString()).toBe('2015-10-11T00:00:00.000Z');
      expect(new Date(item.updated_at).toISOString()).toBe(AT);
      const order = await database.db.selectFrom('oltp.pedidos').selectAll().where('codigo', '=', 'US-2015-108966').executeTakeFirstOrThrow();
      expect(order.status).toBe('enviado');
      expect(new Date(order.data_pedido).toISOString()).toBe('2015-10-11T00:00:00.000Z');
      expect(new Date(order.data_envio).toISOString()).toBe('2015-10-18T00:00:00.000Z');
      expect(order.modo_envio).toBe('Standard Class');
    });

    it('repairs C1 characters in every text column and keeps no-break spaces', async () => {
      const texts: string[] = [];
      const collect = async (table: string, columns: string[]) => {
        const rows = await database.db.selectFrom(`oltp.${table}`).select(columns).execute();
        for (const r of rows) for (const c of columns) if (r[c] !== null) texts.push(String(r[c]));
      };
      await collect('categorias', ['codigo', 'nome']);
      await collect('vendedores', ['codigo', 'nome', 'cidade', 'estado']);
      await collect('clientes', ['codigo', 'nome', 'segmento', 'cidade', 'estado', 'regiao', 'cep_prefixo']);
      await collect('produtos', ['codigo', 'nome']);
      await collect('pedidos', ['codigo', 'status', 'cidade_entrega', 'estado_entrega', 'modo_envio']);
      await collect('pagamentos', ['tipo']);
      expect(texts.filter((t) => C1.test(t))).toEqual([]);
      expect(texts.some((t) => t.includes('\u201c') || t.includes('\u201d'))).toBe(true);
      expect(texts.some((t) => t.includes('\u00a0'))).toBe(true);
    });

    it("keeps each order's own address, so a customer who moved shows several cities", async () => {
      const rows = await database.db
        .selectFrom('oltp.pedidos as p')
        .innerJoin('oltp.clientes as c', 'c.id', 'p.cliente_id')
        .where('c.codigo', '=', facts.mover)
        .select(['p.cidade_entrega', 'p.data_pedido', 'c.cidade'])
        .orderBy('p.data_pedido')
        .orderBy('p.id')
        .execute();
      expect([...new Set(rows.map((r) => r.cidade_entrega))].sort()).toEqual(facts.moverCities);
      // The customer's current address is that of the most recent order.
      expect(rows[rows.length - 1]!.cidade_entrega).toBe(rows[0]!.cidade);
    });

    it('refuses a second import of the same file and changes nothing', async () => {
      const before = await counts(database);
      const stamp = await scalar(database, sql<{ v: unknown }>`select max(updated_at) as v from oltp.itens_pedido`);
      const again = importSuperstore(database, REAL_FILE, { at: '2030-01-01T00:00:00.000Z' });
      await expect(again).rejects.toThrow(SuperstoreImportError);
      await expect(importSuperstore(database, REAL_FILE)).rejects.toThrow(
        new RegExp(`already imported: ${facts.orders} of the file's ${facts.orders} Order IDs`),
      );
      expect(await counts(database)).toEqual(before);
      expect(await scalar(database, sql<{ v: unknown }>`select max(updated_at) as v from oltp.itens_pedido`)).toBe(stamp);
    });
  });

  it('fails on broken files naming what and where, and writes nothing', async () => {
    await withFreshDatabase(engine, 'oltp', async (database) => {
      const cases: [string, RegExp][] = [
        ['does-not-exist.csv', /File not found: .*does-not-exist\.csv/],
        ['wrong-header.csv', /wrong header on line 1: missing column\(s\) 'Row ID', 'Sales'; unexpected column\(s\) 'Revenue'/],
        ['bad-date.csv', /line 4, column 'Order Date': '6\/31\/2016' is not a date in M\/D\/YYYY/],
        ['bad-sales.csv', /line 3, column 'Sales': '73I\.94' is not a decimal number/],
        ['bad-column-count.csv', /line 3: expected 21 columns, got 20/],
      ];
      for (const [file, message] of cases) {
        const attempt = importSuperstore(database, join(FIXTURES, file), { at: AT });
        await expect(attempt).rejects.toThrow(SuperstoreImportError);
        await expect(importSuperstore(database, join(FIXTURES, file), { at: AT })).rejects.toThrow(message);
      }
      expect(Object.values(await counts(database)).every((n) => n === 0)).toBe(true);
    });
  });

  it('imports a true Windows-1252 file with the right characters', async () => {
    await withFreshDatabase(engine, 'oltp', async (database) => {
      const report = await importSuperstore(database, join(FIXTURES, 'windows-1252.csv'), { at: AT });
      expect(report).toMatchObject({
        encoding: 'windows-1252',
        gzip: false,
        linesRead: 2,
        orders: 1,
        customers: 1,
        products: 2,
        totalSales: '119.9900',
        totalProfit: '28.5001',
      });
      const cliente = await database.db.selectFrom('oltp.clientes').selectAll().executeTakeFirstOrThrow();
      expect([cliente.nome, cliente.cidade, cliente.segmento]).toEqual(['José Ramírez', 'San José', 'Home Office']);
      const produtos = await database.db.selectFrom('oltp.produtos').select(['codigo', 'nome', 'preco_lista']).orderBy('codigo').execute();
      expect(produtos.map((p) => [p.codigo, p.nome, formatMoney(parseMoney(String(p.preco_lista)))])).toEqual([
        ['OFF-PA-10000001', '\u201cPremium\u201d Paper\u00a0Pack \u2013 500 sheets', '6.2500'],
        ['TEC-PH-10000002', 'Café Phone\u2122', '99.9900'],
      ]);
      const cats = await database.db.selectFrom('oltp.categorias').select(['codigo', 'categoria_pai_id']).orderBy('codigo').execute();
      expect(cats.map((c) => [c.codigo, c.categoria_pai_id === null])).toEqual([
        ['Office Supplies', true],
        ['Office Supplies/Paper', false],
        ['Technology', true],
        ['Technology/Phones', false],
      ]);
    });
  });

  it('continues ids on a non-empty OLTP, reuses existing categories, and undoes a load that fails midway', async () => {
    await withFreshDatabase(engine, 'oltp', async (database) => {
      const old = '2020-01-01T00:00:00.000Z';
      await database.db.insertInto('oltp.categorias').values({ id: 7, codigo: 'Technology', nome: 'Tech', created_at: old, updated_at: old }).execute();
      await database.db
        .insertInto('oltp.vendedores')
        .values({ id: 3, codigo: 'S3', nome: 'Other', cidade: 'x', estado: 'y', created_at: old, updated_at: old })
        .execute();
      const before = await counts(database);

      // The items table fails to load: what was written before it is deleted again.
      const failing: Database = {
        ...database,
        bulkInsert: (table, rows, options) =>
          table.name === 'itens_pedido' ? Promise.reject(new Error('disk full')) : database.bulkInsert(table, rows, options),
      };
      await expect(importSuperstore(failing, join(FIXTURES, 'windows-1252.csv'), { at: AT })).rejects.toThrow(
        /failed while loading: disk full\. The rows written before the failure were deleted again/,
      );
      expect(await counts(database)).toEqual(before);

      await importSuperstore(database, join(FIXTURES, 'windows-1252.csv'), { at: AT });
      const cats = await database.db.selectFrom('oltp.categorias').select(['id', 'codigo', 'nome', 'categoria_pai_id']).orderBy('id').execute();
      expect(cats.map((c) => [Number(c.id), c.codigo, c.nome, c.categoria_pai_id === null ? null : Number(c.categoria_pai_id)])).toEqual([
        [7, 'Technology', 'Tech', null],
        [8, 'Office Supplies', 'Office Supplies', null],
        [9, 'Office Supplies/Paper', 'Paper', 8],
        [10, 'Technology/Phones', 'Phones', 7],
      ]);
      const seller = await database.db.selectFrom('oltp.vendedores').select(['id']).where('codigo', '=', 'SUPERSTORE').executeTakeFirstOrThrow();
      expect(Number(seller.id)).toBe(4);
    });
  });

  if (engine.name === 'pglite') {
    it('recognises gzip by its magic bytes, whatever the file is called', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'superstore-'));
      try {
        const renamed = join(dir, 'compressed-but-named.csv');
        writeFileSync(renamed, gzipSync(readFileSync(join(FIXTURES, 'windows-1252.csv'))));
        const file = await readSuperstore(renamed);
        expect([file.gzip, file.encoding, file.lines.length, file.lines[1]!.productName]).toEqual([true, 'windows-1252', 2, 'Café Phone\u2122']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
