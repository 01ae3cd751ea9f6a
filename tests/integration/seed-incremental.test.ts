// The incremental day on every engine: it changes exactly the rows its plan names (everything
// else byte-identical), stamps them inside (at - 60 min, at], shares one instant among several
// rows, commits a late row after the main transaction, keeps the money rules, is reproducible,
// and refuses to run twice for a date or with a clock behind the data.
import { sql, type Kysely } from 'kysely';
import { OLTP_TABLES, type OltpTable } from '../../shared/model/oltp-tables.js';
import { seedBase } from '../../shared/seed/base.js';
import { SeedError } from '../../shared/seed/errors.js';
import type { ChangeSet } from '../../shared/seed/day/planned-writes.js';
import { applyIncrementalDay, incrementalSizes, planIncrementalDay } from '../../shared/seed/incremental.js';
import { parseIncrementalFlags } from '../../shared/seed/options.js';
import { diffSnapshots, snapshotOltp } from '../../shared/seed/snapshot.js';
import { freshDatabaseForAll, testEngines, withFreshDatabase } from '../helpers/engines.js';

const AS_OF = new Date('2026-03-01T00:00:00.000Z');
const AT = new Date('2026-03-01T10:00:00.000Z');
const SEED = { scale: 0.03, seed: 42, asOf: AS_OF };

const sorted = (ids: readonly number[]) => [...ids].sort((x, y) => x - y);
const msOf = (v: unknown) => (v instanceof Date ? v.getTime() : new Date(String(v)).getTime());

function normalise(c: ChangeSet): Record<string, { inserted: number[]; updated: number[] }> {
  return Object.fromEntries(OLTP_TABLES.map((t) => [t, { inserted: sorted(c[t].inserted), updated: sorted(c[t].updated) }]));
}

async function stamps(db: Kysely<any>, table: OltpTable, ids: number[]) {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom(`oltp.${table}`).select(['id', 'created_at', 'updated_at']).where('id', 'in', ids).execute();
  return rows.map((r) => ({ table, id: Number(r.id), created: msOf(r.created_at), updated: msOf(r.updated_at) }));
}

describe.each(testEngines())('incremental day on $name', (engine) => {
  // The day applied to the seeded base, for the tests that only read the result.
  const applied = freshDatabaseForAll(engine, 'oltp');
  beforeAll(async () => {
    await seedBase(applied.database, SEED);
    await applyIncrementalDay(applied.database, await planIncrementalDay(applied.database, { at: AT, seed: 7 }));
  });

  it('changes exactly the rows its plan names, inside (at - 60 min, at], and nothing else', async () => {
    await withFreshDatabase(engine, 'oltp', async (database) => {
      await seedBase(database, SEED);
      const db = database.db;
      const before = await snapshotOltp(database);
      const plan = await planIncrementalDay(database, { at: AT, seed: 7 });
      // Planning reads only, and is a pure function of the data, --at and --seed.
      expect(diffSnapshots(before, await snapshotOltp(database))).toEqual(
        Object.fromEntries(OLTP_TABLES.map((t) => [t, { inserted: [], updated: [], deleted: [] }])),
      );
      expect(await planIncrementalDay(database, { at: AT, seed: 7 })).toEqual(plan);

      const changes = await applyIncrementalDay(database, plan);
      const diff = diffSnapshots(before, await snapshotOltp(database));
      expect(normalise(changes)).toEqual(normalise(plan.targets));
      expect(normalise(diff)).toEqual(normalise(plan.targets));
      for (const t of OLTP_TABLES) expect(diff[t].deleted).toEqual([]);

      // Every kind of change is there (counts follow incrementalSizes for 600 orders).
      const t = plan.targets;
      expect(t.pedidos.inserted.length).toBeGreaterThanOrEqual(6);
      expect(t.itens_pedido.inserted.length).toBeGreaterThanOrEqual(t.pedidos.inserted.length);
      expect(t.pagamentos.inserted.length).toBeGreaterThan(0);
      expect(t.pedidos.updated.length).toBeGreaterThanOrEqual(3);
      expect(t.clientes.inserted.length).toBeGreaterThanOrEqual(2);
      expect(t.clientes.updated.length).toBeGreaterThanOrEqual(2);
      expect(t.produtos.updated).toHaveLength(2);
      expect(t.campanhas.inserted).toHaveLength(1);
      expect(t.metas).toEqual({ inserted: [], updated: [] });

      // Every touched row is stamped inside the window; inserted rows are also created there.
      const windowStart = AT.getTime() - 60 * 60_000;
      const touched = (await Promise.all(OLTP_TABLES.map((tb) => stamps(db, tb, [...t[tb].inserted, ...t[tb].updated])))).flat();
      for (const r of touched) {
        expect(r.updated).toBeGreaterThan(windowStart);
        expect(r.updated).toBeLessThanOrEqual(AT.getTime());
      }
      for (const r of touched.filter((x) => t[x.table].inserted.includes(x.id))) expect(r.created).toBeGreaterThan(windowStart);

      // Several rows share one exact updated_at.
      const byInstant = new Map<number, number>();
      for (const r of touched) byInstant.set(r.updated, (byInstant.get(r.updated) ?? 0) + 1);
      expect(Math.max(...byInstant.values())).toBeGreaterThanOrEqual(3);

      // The late row: committed after the main transaction, stamped earlier than rows committed before it.
      const lateId = plan.late.kind === 'insert' ? plan.late.row.id : plan.late.id;
      const late = touched.find((r) => r.table === plan.late.table && r.id === lateId)!;
      expect(late.updated).toBe(AT.getTime() - 5 * 60_000);
      const mainRows = touched.filter((r) => r !== late);
      expect(mainRows.some((r) => r.updated > late.updated)).toBe(true);
      if (engine.name !== 'mssql') {
        // PostgreSQL: the late row's transaction id is newer than the main transaction's.
        const xid = async (table: string, id: number) =>
          Number((await sql<{ x: string }>`select xmin::text as x from ${sql.table(`oltp.${table}`)} where id = ${id}`.execute(db)).rows[0]!.x);
        const newest = mainRows.reduce((m, r) => (r.updated > m.updated ? r : m));
        expect(await xid(plan.late.table, lateId)).toBeGreaterThan(await xid(newest.table, newest.id));
      }

      // Customers who moved now live in their new city and state.
      expect(plan.moves.length).toBeGreaterThanOrEqual(2);
      for (const m of plan.moves) {
        const c = await db.selectFrom('oltp.clientes').select(['cidade', 'estado']).where('id', '=', m.id).executeTakeFirstOrThrow();
        expect({ cidade: c.cidade, estado: c.estado }).toEqual({ cidade: m.cidade, estado: m.estado });
        const old = JSON.parse(before.clientes.get(m.id)!) as string[];
        expect(old[6]).not.toBe(m.estado);
      }
    });
  });

  it('keeps the money rules on the orders it wrote and advanced', async () => {
    const db = applied.database.db;
    const violations = await sql<{ n: number | string }>`
      select count(*) as n from oltp.pedidos p
      left join (select pedido_id, sum(valor_bruto) as b, sum(valor_desconto) as d, sum(valor_frete) as f
                 from oltp.itens_pedido where deleted_at is null group by pedido_id) s on s.pedido_id = p.id
      left join (select pedido_id, sum(valor) as v from oltp.pagamentos group by pedido_id) g on g.pedido_id = p.id
      where p.updated_at > ${new Date(AT.getTime() - 3600_000).toISOString()}
        and (s.pedido_id is null or p.valor_produtos <> s.b or p.valor_desconto <> s.d or p.valor_frete <> s.f
          or p.valor_total <> p.valor_produtos - p.valor_desconto + p.valor_frete
          or (p.data_aprovacao is not null and (g.v is null or g.v <> p.valor_total))
          or (p.data_aprovacao is null and g.v is not null)
          or (p.status = 'cancelado' and p.data_cancelamento is null)
          or (p.status = 'enviado' and p.data_envio is null) or (p.status = 'entregue' and p.data_entrega is null))`.execute(db);
    expect(Number(violations.rows[0]!.n)).toBe(0);
    const badItems = await sql<{ n: number | string }>`
      select count(*) as n from oltp.itens_pedido i left join oltp.campanhas c on c.id = i.campanha_id
      where i.valor_liquido <> i.valor_bruto - i.valor_desconto or (i.valor_desconto <> 0 and i.campanha_id is null)
         or (c.tipo = 'percentual' and i.valor_desconto <> round(i.valor_bruto * c.percentual, 2))`.execute(db);
    expect(Number(badItems.rows[0]!.n)).toBe(0);
    // The day's campaign was used by at least one new order.
    const used = await sql<{ n: number | string }>`
      select count(*) as n from oltp.itens_pedido i join oltp.campanhas c on c.id = i.campanha_id where c.codigo = ${'DIA-2026-03-01'}`.execute(db);
    expect(Number(used.rows[0]!.n)).toBeGreaterThan(0);
  });

  it('gives the same result for the same base, --at and --seed', async () => {
    await withFreshDatabase(engine, 'oltp', async (b) => {
      await seedBase(b, SEED);
      await applyIncrementalDay(b, await planIncrementalDay(b, { at: AT, seed: 7 }));
      const sa = await snapshotOltp(applied.database);
      const sb = await snapshotOltp(b);
      for (const t of OLTP_TABLES) expect({ t, rows: [...sb[t]] }).toEqual({ t, rows: [...sa[t]] });
    });
  });

  it('refuses a second run for the same UTC date', async () => {
    await expect(planIncrementalDay(applied.database, { at: new Date('2026-03-01T22:00:00Z'), seed: 7 })).rejects.toThrow(
      'incremental day 2026-03-01 already applied',
    );
  });

  it('refuses an --at whose window is not after the data (the clock is behind)', async () => {
    await expect(planIncrementalDay(applied.database, { at: new Date('2026-02-28T23:30:00Z'), seed: 7 })).rejects.toThrow(
      /the clock is behind the data.*2026-03-01T10:00:00.000Z/,
    );
    // Less than an hour after the newest row (10:00): the window would reach back over it.
    await expect(planIncrementalDay(applied.database, { at: new Date('2026-02-28T10:30:00Z'), seed: 7 })).rejects.toThrow(SeedError);
    // A full hour later is fine (and still only plans).
    const next = await planIncrementalDay(applied.database, { at: new Date('2026-03-02T10:00:00Z'), seed: 7 });
    expect(next.day).toBe('2026-03-02');
  });

  it("sizes a day for a given order count (sizedFor, the benchmark at two scales) instead of the OLTP's, and refuses a bad one", async () => {
    const at = new Date('2026-03-02T10:00:00Z');
    const own = await planIncrementalDay(applied.database, { at, seed: 7 });
    const sized = await planIncrementalDay(applied.database, { at, seed: 7, sizedFor: 12_000 });
    expect(own.targets.pedidos.inserted.length).toBe(incrementalSizes(600).novosPedidos);
    expect(sized.targets.pedidos.inserted.length).toBe(incrementalSizes(12_000).novosPedidos);
    for (const bad of [0, -5, 1.5])
      await expect(planIncrementalDay(applied.database, { at, seed: 7, sizedFor: bad })).rejects.toThrow(/sizedFor must be a positive whole number/);
  });
});

describe('incremental flags', () => {
  it('defaults --at to now (ms) and --seed to 42; rejects a bad --at', () => {
    expect(parseIncrementalFlags({}, 1_790_000_000_123)).toEqual({ at: new Date(1_790_000_000_123), seed: 42 });
    expect(parseIncrementalFlags({ at: '2026-03-01T07:00:00-03:00', seed: '5' }, 0)).toEqual({ at: AT, seed: 5 });
    expect(() => parseIncrementalFlags({ at: '2026-03-01 10:00' }, 0)).toThrow(/--at must be an ISO-8601 instant with a time zone/);
    expect(() => parseIncrementalFlags({ at: 'yesterday' }, 0)).toThrow(SeedError);
  });
});
