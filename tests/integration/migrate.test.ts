import { sql } from 'kysely';
import { migrate } from '../../shared/db/migrate.js';
import { MIGRATIONS } from '../../sql/migrations/index.js';
import { testEngines, withFreshDatabase } from '../helpers/engines.js';

const TABLES = ['categorias', 'vendedores', 'clientes', 'produtos', 'campanhas', 'pedidos', 'itens_pedido', 'pagamentos', 'metas'];

describe.each(testEngines())('OLTP migrations on $name', (engine) => {
  it('creates every OLTP table once and is a no-op the second time', async () => {
    await withFreshDatabase(engine, 'empty', async (database) => {
      const first = await migrate(database, 'oltp');
      expect(first.applied).toEqual(['0001_oltp_schema', '0002_reconciliation_statistics']);
      const second = await migrate(database, 'oltp');
      expect(second.applied).toEqual([]);

      const tables = await database.db.introspection.getTables();
      const oltp = tables
        .filter((t) => t.schema === 'oltp')
        .map((t) => t.name)
        .sort();
      expect(oltp).toEqual([...TABLES].sort());
      for (const t of tables.filter((t) => t.schema === 'oltp')) {
        const cols = t.columns.map((c) => c.name);
        expect(cols).toEqual(expect.arrayContaining(['id', 'created_at', 'updated_at']));
      }
      // The migration log records each migration exactly once.
      const log = await sql<{ n: number | string }>`select count(*) as n from kysely_migration`.execute(database.db);
      expect(Number(log.rows[0]!.n)).toBe(first.applied.length);
    });
  });

  it('creates the warehouse control tables and dimensions with their unknown members, idempotently', async () => {
    await withFreshDatabase(engine, 'empty', async (database) => {
      expect((await migrate(database, 'dw')).applied).toEqual(Object.keys(MIGRATIONS.dw));
      expect((await migrate(database, 'dw')).applied).toEqual([]);
      const tables = (await database.db.introspection.getTables()).map((t) => `${t.schema}.${t.name}`).sort();
      expect(tables).toEqual(
        expect.arrayContaining([
          'etl.watermark',
          'etl.lease',
          'etl.run',
          'etl.run_step',
          'etl.batch',
          'etl.rejected_row',
          'dw.dim_data',
          'dw.dim_cliente',
          'dw.dim_produto',
          'dw.dim_vendedor',
          'dw.dim_campanha',
          'dw.dim_categoria',
        ]),
      );
      for (const dim of ['cliente', 'produto', 'vendedor', 'campanha', 'categoria']) {
        const rows = await database.db
          .selectFrom(`dw.dim_${dim}`)
          .select([`${dim}_key as k`, 'nome'])
          .orderBy(`${dim}_key`)
          .execute();
        // the unknown member; campaigns also have key 0, "no campaign"
        const expected = [
          { k: -1, nome: expect.stringMatching(/^Desconhecid|^Sem campanha/) },
          ...(dim === 'campanha' ? [{ k: 0, nome: 'Sem campanha' }] : []),
        ];
        expect(rows.map((r) => ({ ...r, k: Number(r.k) }))).toEqual(expected);
      }
      // exactly one current version per customer is enforced by the database
      const version = {
        codigo: 'C1',
        nome: 'Ana',
        segmento: 'Consumidor',
        cidade: 'Recife',
        estado: 'PE',
        ativo: true,
        valid_to: new Date('9999-12-31T00:00:00Z'),
        is_current: true,
        source_updated_at: new Date(),
        run_id: 'r1',
      };
      await database.db
        .insertInto('dw.dim_cliente')
        .values({ ...version, cliente_key: 1, cliente_id: 7, valid_from: new Date('2024-01-01T00:00:00Z') })
        .execute();
      await expect(
        database.db
          .insertInto('dw.dim_cliente')
          .values({ ...version, cliente_key: 2, cliente_id: 7, valid_from: new Date('2024-02-01T00:00:00Z') })
          .execute(),
      ).rejects.toThrow();
    });
  });

  it('stores money as exact decimals and timestamps as UTC instants', async () => {
    await withFreshDatabase(engine, 'oltp', async (database) => {
      await database.bulkInsert(
        {
          schema: 'oltp',
          name: 'categorias',
          columns: [
            { name: 'id', kind: 'bigint' },
            { name: 'codigo', kind: 'text' },
            { name: 'nome', kind: 'text' },
            { name: 'created_at', kind: 'timestamp' },
            { name: 'updated_at', kind: 'timestamp' },
          ],
        },
        [[1, 'cat', 'Cama, mesa & banho\t"x"', '2024-01-31T23:59:59.123Z', '2024-01-31T23:59:59.123Z']],
      );
      await database.db
        .insertInto('oltp.produtos')
        .values({ id: 1, codigo: 'P1', nome: 'Produto', categoria_id: 1, preco_lista: '0.1000', custo: '1234567890.1234' })
        .execute();
      const sum = await database.db
        .selectFrom('oltp.produtos')
        .select((eb) => [eb.fn.sum<string>(eb(eb.ref('preco_lista'), '+', eb.val('0.2'))).as('s'), 'custo'])
        .groupBy('custo')
        .executeTakeFirstOrThrow();
      expect(String(sum.s)).toMatch(/^0\.3(0*)$/);
      expect(String(sum.custo)).toBe('1234567890.1234');
      const cat = await database.db.selectFrom('oltp.categorias').selectAll().executeTakeFirstOrThrow();
      expect(new Date(cat.updated_at).toISOString()).toBe('2024-01-31T23:59:59.123Z');
      expect(cat.nome).toBe('Cama, mesa & banho\t"x"');
    });
  });
});
