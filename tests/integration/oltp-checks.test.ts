// The OLTP checks on every engine: a small consistent dataset passes every check; then, for each
// blocking check (and a few warnings), the data is broken on purpose inside a transaction that is
// rolled back, and exactly the expected checks fail with the expected row counts.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../../shared/db/connection-string.js';
import type { Database } from '../../shared/db/database.js';
import { offlineKysely } from '../../shared/db/offline-compile.js';
import { OLTP_TABLES } from '../../shared/model/oltp-tables.js';
import { OLTP_CHECKS } from '../../shared/oltp/check-catalogue.js';
import { formatCheckTable } from '../../shared/oltp/check-report.js';
import { checkExitCode, countQuery, hasBlockingFailure, runChecks, sampleQuery, type CheckResult } from '../../shared/oltp/check-runner.js';
import { freshDatabaseForAll, testEngines } from '../helpers/engines.js';

const created_at = new Date('2024-03-01T10:00:00Z');
const updated_at = new Date('2024-03-02T10:00:00Z');
const stamps = { created_at, updated_at };
const at = (iso: string) => new Date(iso);

/** A consistent marketplace in miniature; every money rule holds, to the 4th decimal. */
async function seedGoodData(db: Kysely<any>): Promise<void> {
  await db
    .insertInto('oltp.categorias')
    .values([
      { id: 1, codigo: 'CAT-ELE', nome: 'Eletrônicos', categoria_pai_id: null, ...stamps },
      { id: 2, codigo: 'CAT-CEL', nome: 'Celulares', categoria_pai_id: 1, ...stamps },
      { id: 3, codigo: 'CAT-CASA', nome: 'Casa', categoria_pai_id: null, ...stamps },
    ])
    .execute();
  await db
    .insertInto('oltp.clientes')
    .values([
      { id: 1, codigo: 'C1', nome: 'Ana', email: 'ana@example.com', segmento: 'Consumer', cidade: 'São Paulo', estado: 'SP', ...stamps },
      { id: 2, codigo: 'C2', nome: 'Bruno', email: null, segmento: 'Corporate', cidade: 'Recife', estado: 'PE', ...stamps },
    ])
    .execute();
  await db
    .insertInto('oltp.vendedores')
    .values([
      { id: 1, codigo: 'V1', nome: 'Loja Um', cidade: 'Curitiba', estado: 'PR', ...stamps },
      { id: 2, codigo: 'V2', nome: 'Loja Dois', cidade: 'Campinas', estado: 'SP', ...stamps },
    ])
    .execute();
  await db
    .insertInto('oltp.produtos')
    .values([
      { id: 1, codigo: 'P1', nome: 'Smartphone', categoria_id: 2, preco_lista: '1000.0000', custo: '700.0000', ...stamps },
      { id: 2, codigo: 'P2', nome: 'Toalha', categoria_id: 3, preco_lista: '49.9000', custo: null, ...stamps },
      { id: 3, codigo: 'P3', nome: 'Fone', categoria_id: 1, preco_lista: '199.9900', custo: '80.0000', ...stamps },
    ])
    .execute();
  await db
    .insertInto('oltp.campanhas')
    .values([
      {
        id: 1,
        codigo: 'BLACK10',
        nome: '10% off',
        tipo: 'percentual',
        percentual: '0.1000',
        valor_cupom: null,
        inicio: at('2024-01-01T00:00:00Z'),
        fim: at('2024-12-31T23:59:59Z'),
        custo: '500.0000',
        ...stamps,
      },
      {
        id: 2,
        codigo: 'CUPOM10',
        nome: 'R$10 off',
        tipo: 'cupom',
        percentual: null,
        valor_cupom: '10.0000',
        inicio: at('2024-06-01T00:00:00Z'),
        fim: at('2024-06-30T23:59:59Z'),
        custo: '0.0000',
        ...stamps,
      },
    ])
    .execute();
  const order = { data_aprovacao: null, data_envio: null, data_entrega: null, data_cancelamento: null, campanha_id: null, ...stamps };
  await db
    .insertInto('oltp.pedidos')
    .values([
      // delivered, with a campaign, two items, two payments
      {
        ...order,
        id: 1,
        codigo: 'O1',
        cliente_id: 1,
        status: 'entregue',
        data_pedido: at('2024-03-01T09:00:00Z'),
        data_aprovacao: at('2024-03-01T09:30:00Z'),
        data_envio: at('2024-03-02T09:00:00Z'),
        data_entrega: at('2024-03-05T09:00:00Z'),
        campanha_id: 1,
        valor_produtos: '1099.8000',
        valor_desconto: '100.0000',
        valor_frete: '30.0000',
        valor_total: '1029.8000',
      },
      // created, not paid: no payments needed
      {
        ...order,
        id: 2,
        codigo: 'O2',
        cliente_id: 2,
        status: 'criado',
        data_pedido: at('2024-03-03T12:00:00Z'),
        valor_produtos: '649.8700',
        valor_desconto: '0.0000',
        valor_frete: '15.5000',
        valor_total: '665.3700',
      },
      // cancelled, no items: total is 0
      {
        ...order,
        id: 3,
        codigo: 'O3',
        cliente_id: 1,
        status: 'cancelado',
        data_pedido: at('2024-03-04T12:00:00Z'),
        data_cancelamento: at('2024-03-05T12:00:00Z'),
        valor_produtos: '0.0000',
        valor_desconto: '0.0000',
        valor_frete: '0.0000',
        valor_total: '0.0000',
      },
      // approved, 4-decimal amounts, one live item and one soft-deleted item (which must not count)
      {
        ...order,
        id: 4,
        codigo: 'O4',
        cliente_id: 2,
        status: 'aprovado',
        data_pedido: at('2024-03-06T08:00:00Z'),
        data_aprovacao: at('2024-03-06T09:00:00Z'),
        campanha_id: 1,
        valor_produtos: '99.9999',
        valor_desconto: '9.9999',
        valor_frete: '0.1000',
        valor_total: '90.1000',
      },
    ])
    .execute();
  const item = { campanha_id: null, percentual_desconto: null, valor_desconto: '0.0000', custo_total: null, deleted_at: null, ...stamps };
  await db
    .insertInto('oltp.itens_pedido')
    .values([
      {
        ...item,
        id: 1,
        pedido_id: 1,
        numero_item: 1,
        produto_id: 1,
        vendedor_id: 1,
        campanha_id: 1,
        quantidade: 1,
        preco_unitario: '1000.0000',
        valor_bruto: '1000.0000',
        percentual_desconto: '0.1000',
        valor_desconto: '100.0000',
        valor_liquido: '900.0000',
        valor_frete: '20.0000',
      },
      {
        ...item,
        id: 2,
        pedido_id: 1,
        numero_item: 2,
        produto_id: 2,
        vendedor_id: 2,
        quantidade: 2,
        preco_unitario: '49.9000',
        valor_bruto: '99.8000',
        valor_liquido: '99.8000',
        valor_frete: '10.0000',
      },
      {
        ...item,
        id: 3,
        pedido_id: 2,
        numero_item: 1,
        produto_id: 3,
        vendedor_id: 1,
        quantidade: 3,
        preco_unitario: '199.9900',
        valor_bruto: '599.9700',
        valor_liquido: '599.9700',
        valor_frete: '15.5000',
      },
      {
        ...item,
        id: 4,
        pedido_id: 2,
        numero_item: 2,
        produto_id: 2,
        vendedor_id: 2,
        quantidade: 1,
        preco_unitario: '49.9000',
        valor_bruto: '49.9000',
        valor_liquido: '49.9000',
        valor_frete: '0.0000',
      },
      {
        ...item,
        id: 5,
        pedido_id: 4,
        numero_item: 1,
        produto_id: 3,
        vendedor_id: 2,
        campanha_id: 1,
        quantidade: 3,
        preco_unitario: '33.3333',
        valor_bruto: '99.9999',
        percentual_desconto: '0.1000',
        valor_desconto: '9.9999',
        valor_liquido: '90.0000',
        valor_frete: '0.1000',
      },
      {
        ...item,
        id: 6,
        pedido_id: 4,
        numero_item: 2,
        produto_id: 1,
        vendedor_id: 1,
        quantidade: 1,
        preco_unitario: '1000.0000',
        valor_bruto: '1000.0000',
        valor_liquido: '1000.0000',
        valor_frete: '0.0000',
        deleted_at: at('2024-03-06T10:00:00Z'),
      },
    ])
    .execute();
  await db
    .insertInto('oltp.pagamentos')
    .values([
      { id: 1, pedido_id: 1, sequencial: 1, tipo: 'cartao', parcelas: 3, valor: '600.0000', ...stamps },
      { id: 2, pedido_id: 1, sequencial: 2, tipo: 'boleto', parcelas: 1, valor: '429.8000', ...stamps },
      { id: 3, pedido_id: 4, sequencial: 1, tipo: 'voucher', parcelas: 1, valor: '0.1000', ...stamps },
      { id: 4, pedido_id: 4, sequencial: 2, tipo: 'cartao', parcelas: 1, valor: '90.0000', ...stamps },
    ])
    .execute();
  await db
    .insertInto('oltp.metas')
    .values([
      { id: 1, vendedor_id: 1, mes: '2024-03-01', valor_meta: '5000.0000', quantidade_meta: 10, ...stamps },
      { id: 2, vendedor_id: 1, mes: '2024-04-01', valor_meta: '6000.0000', quantidade_meta: null, ...stamps },
      { id: 3, vendedor_id: 2, mes: '2024-03-01', valor_meta: '3000.0000', quantidade_meta: 5, ...stamps },
    ])
    .execute();
}

// --- ways around the constraints our own DDL has (real sources often lack them) -----------------

/** Foreign keys stop being enforced until the transaction ends. */
async function bypassForeignKeys(trx: Kysely<any>, engine: Engine): Promise<void> {
  if (engine === 'mssql') {
    for (const table of OLTP_TABLES) await sql`alter table ${sql.table(`oltp.${table}`)} nocheck constraint all`.execute(trx);
  } else {
    // disables the FK triggers for this transaction only (needs a superuser, as in our test servers)
    await sql`set local session_replication_role = replica`.execute(trx);
  }
}

/** Drops the table's unique constraints inside the transaction (rolled back afterwards). */
async function dropUniqueConstraints(trx: Kysely<any>, engine: Engine, table: string): Promise<void> {
  const names =
    engine === 'mssql'
      ? await sql<{ name: string }>`select name from sys.key_constraints where type = 'UQ' and parent_object_id = object_id(${`oltp.${table}`})`.execute(trx)
      : await sql<{ name: string }>`select conname as name from pg_constraint where contype = 'u' and conrelid = cast(${`oltp.${table}`} as regclass)`.execute(
          trx,
        );
  expect(names.rows.length).toBeGreaterThan(0);
  for (const { name } of names.rows) await sql`alter table ${sql.table(`oltp.${table}`)} drop constraint ${sql.id(name)}`.execute(trx);
}

interface Breakage {
  readonly title: string;
  readonly apply: (trx: Kysely<any>, engine: Engine) => Promise<void>;
  /** every check expected to fail, with its failing row count; all the others must pass */
  readonly expected: Record<string, number>;
}

async function update(trx: Kysely<any>, table: string, id: number, set: Record<string, unknown>): Promise<void> {
  const [result] = await trx.updateTable(`oltp.${table}`).set(set).where('id', '=', id).execute();
  expect(Number(result?.numUpdatedRows)).toBe(1);
}

const orphan = (child: string, column: string, id: number): Breakage => ({
  title: `${child}.${column} points at a missing row`,
  apply: async (trx, engine) => {
    await bypassForeignKeys(trx, engine);
    await update(trx, child, id, { [column]: 999 });
  },
  expected: { [`orphan_${child}_${column}`]: 1 },
});

const duplicate = (table: string, keys: string[], id: number, set: Record<string, unknown>): Breakage => ({
  title: `two ${table} rows share (${keys.join(', ')})`,
  apply: async (trx, engine) => {
    await dropUniqueConstraints(trx, engine, table);
    await update(trx, table, id, set);
  },
  expected: { [`duplicate_${table}_${keys.join('_')}`]: 2 },
});

const BLOCKING_BREAKAGES: Breakage[] = [
  orphan('produtos', 'categoria_id', 1),
  orphan('categorias', 'categoria_pai_id', 2),
  orphan('pedidos', 'cliente_id', 2),
  orphan('pedidos', 'campanha_id', 2),
  orphan('itens_pedido', 'produto_id', 3),
  orphan('itens_pedido', 'vendedor_id', 3),
  orphan('itens_pedido', 'campanha_id', 2),
  orphan('metas', 'vendedor_id', 3),
  {
    title: 'a payment of an order that does not exist',
    apply: async (trx, engine) => {
      await bypassForeignKeys(trx, engine);
      await trx
        .insertInto('oltp.pagamentos')
        .values({ id: 99, pedido_id: 999, sequencial: 1, tipo: 'pix', parcelas: 1, valor: '10.0000', ...stamps })
        .execute();
    },
    expected: { orphan_pagamentos_pedido_id: 1 },
  },
  {
    title: 'an item of an order that does not exist',
    apply: async (trx, engine) => {
      await bypassForeignKeys(trx, engine);
      await trx
        .insertInto('oltp.itens_pedido')
        .values({
          id: 99,
          pedido_id: 999,
          numero_item: 1,
          produto_id: 1,
          vendedor_id: 1,
          quantidade: 1,
          preco_unitario: '10.0000',
          valor_bruto: '10.0000',
          valor_desconto: '0.0000',
          valor_liquido: '10.0000',
          valor_frete: '0.0000',
          ...stamps,
        })
        .execute();
    },
    expected: { items_without_order: 1 },
  },
  {
    title: 'negative item freight on two items',
    apply: async (trx) => {
      await update(trx, 'itens_pedido', 1, { valor_frete: '-1.0000' });
      await update(trx, 'itens_pedido', 3, { valor_frete: '-0.0001' });
    },
    expected: { invalid_item_quantity_or_amount: 2 },
  },
  {
    title: 'an item with quantity 0 (its gross amount no longer matches either: a warning)',
    apply: (trx) => update(trx, 'itens_pedido', 2, { quantidade: 0 }),
    expected: { invalid_item_quantity_or_amount: 1, item_gross_amount_mismatch: 1 },
  },
  {
    title: 'a negative list price',
    apply: (trx) => update(trx, 'produtos', 2, { preco_lista: '-0.0001' }),
    expected: { negative_product_price: 1 },
  },
  {
    title: 'a negative order freight (total still consistent with it)',
    apply: (trx) => update(trx, 'pedidos', 3, { valor_frete: '-5.0000', valor_total: '-5.0000' }),
    expected: { negative_order_amount: 1 },
  },
  {
    title: 'a negative payment (payments still add up to the total)',
    apply: async (trx) => {
      await update(trx, 'pagamentos', 1, { valor: '1100.0000' });
      await update(trx, 'pagamentos', 2, { valor: '-70.2000' });
    },
    expected: { negative_payment_value: 1 },
  },
  {
    title: 'an order total off by 0.0001 (exact decimal comparison)',
    apply: (trx) => update(trx, 'pedidos', 2, { valor_total: '665.3701' }),
    expected: { order_total_mismatch: 1 },
  },
  {
    title: 'a soft-deleted item no longer counts in the order total (header amounts warn too)',
    apply: (trx) => update(trx, 'itens_pedido', 4, { deleted_at: at('2024-03-04T00:00:00Z') }),
    expected: { order_total_mismatch: 1, order_header_amounts_mismatch: 1 },
  },
  {
    title: 'a paid order whose payments were all lost',
    apply: async (trx) => {
      await trx.deleteFrom('oltp.pagamentos').where('pedido_id', '=', 4).execute();
    },
    expected: { paid_order_payments_mismatch: 1 },
  },
  {
    title: 'a paid order with one payment short',
    apply: async (trx) => {
      await trx.deleteFrom('oltp.pagamentos').where('id', '=', 2).execute();
    },
    expected: { paid_order_payments_mismatch: 1 },
  },
  {
    title: 'updated_at earlier than created_at in two tables',
    apply: async (trx) => {
      await update(trx, 'clientes', 1, { updated_at: at('2024-02-01T00:00:00Z') });
      await update(trx, 'itens_pedido', 5, { updated_at: at('2024-03-01T09:59:59.999Z') });
    },
    expected: { updated_before_created: 2 },
  },
  duplicate('clientes', ['codigo'], 2, { codigo: 'C1' }),
  duplicate('vendedores', ['codigo'], 2, { codigo: 'V1' }),
  duplicate('produtos', ['codigo'], 2, { codigo: 'P1' }),
  duplicate('categorias', ['codigo'], 3, { codigo: 'CAT-ELE' }),
  duplicate('campanhas', ['codigo'], 2, { codigo: 'BLACK10' }),
  duplicate('pedidos', ['codigo'], 3, { codigo: 'O1' }),
  duplicate('itens_pedido', ['pedido_id', 'numero_item'], 2, { numero_item: 1 }),
  duplicate('pagamentos', ['pedido_id', 'sequencial'], 2, { sequencial: 1 }),
  duplicate('metas', ['vendedor_id', 'mes'], 2, { mes: '2024-03-01' }),
];

const WARNING_BREAKAGES: Breakage[] = [
  {
    title: 'a row updated in the future (deferred by the extract window, not lost)',
    apply: (trx) => update(trx, 'produtos', 1, { updated_at: at('2999-01-01T00:00:00Z') }),
    expected: { future_timestamps: 1 },
  },
  {
    title: 'a non-cancelled order without live items',
    apply: (trx) => update(trx, 'pedidos', 3, { status: 'criado' }),
    expected: { order_without_live_items: 1 },
  },
  {
    title: 'an item whose net amount is not gross − discount',
    apply: (trx) => update(trx, 'itens_pedido', 2, { valor_liquido: '99.7999' }),
    expected: { item_net_amount_mismatch: 1 },
  },
  {
    title: 'an unknown order status',
    apply: (trx) => update(trx, 'pedidos', 2, { status: 'pendente' }),
    expected: { unknown_order_status: 1 },
  },
  {
    title: 'a target month that is not the first day',
    apply: (trx) => update(trx, 'metas', 1, { mes: '2024-03-15' }),
    expected: { meta_month_not_first_day: 1 },
  },
  {
    title: 'a campaign used after it ended',
    apply: (trx) => update(trx, 'campanhas', 1, { fim: at('2024-03-05T00:00:00Z') }),
    expected: { item_campaign_outside_window: 1 },
  },
];

class Rollback extends Error {}

/** Applies a breakage in a transaction, runs `inside` in it, and rolls everything back. */
async function onBrokenCopy<T>(database: Database, breakage: Breakage, inside: (trx: Kysely<any>) => Promise<T>): Promise<T> {
  let result: { value: T } | undefined;
  try {
    await database.db.transaction().execute(async (trx) => {
      await breakage.apply(trx, database.engine);
      result = { value: await inside(trx) };
      throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
  return result!.value;
}

/** The checks' results on the data with a breakage applied (rolled back afterwards). */
const checksOnBrokenCopy = (database: Database, breakage: Breakage): Promise<CheckResult[]> => onBrokenCopy(database, breakage, runChecks);

const failing = (results: CheckResult[]) => Object.fromEntries(results.filter((r) => r.failing > 0).map((r) => [r.name, r.failing]));

describe('OLTP check definitions', () => {
  it('have unique names and cover every blocking case the tests break', () => {
    const names = OLTP_CHECKS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    const blocking = OLTP_CHECKS.filter((c) => c.severity === 'blocking').map((c) => c.name);
    const tested = new Set(BLOCKING_BREAKAGES.flatMap((b) => Object.keys(b.expected)));
    expect(blocking.filter((n) => !tested.has(n))).toEqual([]);
  });

  it('compile to T-SQL for SQL Server: TOP instead of LIMIT, sysutcdatetime() as the clock, day() for the day of month', () => {
    const db = offlineKysely('mssql', []);
    for (const check of OLTP_CHECKS) {
      const count = countQuery(check, db).compile().sql;
      const sample = sampleQuery(check, db).compile().sql;
      expect(count).toMatch(/^select count\(\*\) as "n" from \(select /);
      expect(sample).toMatch(/^select top\(5\) \* from \(/);
      for (const text of [count, sample]) expect(text).not.toMatch(/\blimit\b|now\(\)|::|\bextract\(|\bilike\b/);
    }
    const future = OLTP_CHECKS.find((c) => c.name === 'future_timestamps')!;
    expect(countQuery(future, db).compile().sql).toContain('sysutcdatetime()');
    const monthDay = OLTP_CHECKS.find((c) => c.name === 'meta_month_not_first_day')!;
    expect(countQuery(monthDay, db).compile().sql).toContain('day("mes") <> 1');
    const pg = offlineKysely('postgres', []);
    expect(countQuery(future, pg).compile().sql).toContain('now()');
    expect(sampleQuery(future, pg).compile().sql).toMatch(/ limit \$1$/);
  });
});

describe.each(testEngines())('OLTP checks on $name', (engine) => {
  // One consistent dataset for every test; each breakage is rolled back (checksOnBrokenCopy).
  const oltp = freshDatabaseForAll(engine, 'oltp');
  beforeAll(() => seedGoodData(oltp.database.db));

  it('passes every check on a consistent dataset, and the CLI would exit 0', async () => {
    const results = await runChecks(oltp.database.db);
    expect(results.map((r) => r.name)).toEqual(OLTP_CHECKS.map((c) => c.name));
    expect(failing(results)).toEqual({});
    expect(results.every((r) => r.samples.length === 0)).toBe(true);
    expect(checkExitCode(results)).toBe(0);
    expect(formatCheckTable(results)).toMatch(/^PASSED: \d+ checks, \d+ passed, 0 blocking failed/m);
  });

  it.each(BLOCKING_BREAKAGES.map((b) => [b.title, b] as const))('fails the blocking check for %s', async (_title, breakage) => {
    const results = await checksOnBrokenCopy(oltp.database, breakage);
    expect(failing(results)).toEqual(breakage.expected);
    expect(hasBlockingFailure(results)).toBe(true);
    expect(checkExitCode(results)).toBe(1);
    for (const name of Object.keys(breakage.expected)) {
      const r = results.find((x) => x.name === name)!;
      expect(r.samples).toHaveLength(Math.min(r.failing, 5));
    }
  });

  it.each(WARNING_BREAKAGES.map((b) => [b.title, b] as const))('only warns for %s (exit code 0)', async (_title, breakage) => {
    const results = await checksOnBrokenCopy(oltp.database, breakage);
    expect(failing(results)).toEqual(breakage.expected);
    for (const name of Object.keys(breakage.expected)) expect(results.find((r) => r.name === name)!.severity).toBe('warning');
    expect(hasBlockingFailure(results)).toBe(false);
    expect(checkExitCode(results)).toBe(0);
    expect(formatCheckTable(results)).toMatch(/^PASSED: .* 0 blocking failed \(0 rows\), 1 warnings \(1 rows\)$/m);
  });

  it('reports samples that identify the failing rows, and a table with status and summary', async () => {
    const breakage = BLOCKING_BREAKAGES.find((b) => b.title.startsWith('updated_at earlier'))!;
    const results = await checksOnBrokenCopy(oltp.database, breakage);
    const r = results.find((x) => x.name === 'updated_before_created')!;
    expect(r.samples).toHaveLength(2);
    expect(r.samples[0]).toMatch(/^tabela=clientes, id=1, created_at=/);
    expect(r.samples[1]).toMatch(/^tabela=itens_pedido, id=5, /);
    const table = formatCheckTable(results);
    expect(table).toMatch(/^updated_before_created\s+blocking\s+2\s+FAIL$/m);
    expect(table).toMatch(/^future_timestamps\s+warning\s+0\s+ok$/m);
    expect(table).toContain('    e.g. tabela=clientes, id=1');
    expect(table).toMatch(/^FAILED: \d+ checks, \d+ passed, 1 blocking failed \(2 rows\), 0 warnings \(0 rows\)$/m);
  });

  it('leaves the data untouched after the rolled-back breakages', async () => {
    for (const breakage of [...BLOCKING_BREAKAGES, ...WARNING_BREAKAGES]) await onBrokenCopy(oltp.database, breakage, async () => {});
    expect(failing(await runChecks(oltp.database.db))).toEqual({});
  });
});
