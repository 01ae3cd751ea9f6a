// SQL Server cannot run here: compile every statement the loads send, for T-SQL, and check the
// constructs SQL Server rejects (the warehouse in production is Azure SQL).
import type { CompiledQuery } from 'kysely';
import { offlineKysely } from '../../shared/db/offline-compile.js';
import { DIMENSION_LOADS, propagateCategoryNames } from '../../shared/pipeline/dimensions/definitions.js';
import { ensureCalendar } from '../../shared/pipeline/dimensions/calendar.js';
import { mergeScd1, mergeScd2 } from '../../shared/pipeline/dimensions/scd.js';
import { entity } from '../../shared/pipeline/entities.js';
import { upsertOds } from '../../shared/pipeline/facts/ods.js';
import { rekeyFacts } from '../../shared/pipeline/facts/rekey.js';
import { loadSales } from '../../shared/pipeline/facts/sales.js';
import { loadTargets } from '../../shared/pipeline/facts/targets.js';
import { acquireLease, releaseLease } from '../../shared/pipeline/lease.js';
import { advanceWatermark } from '../../shared/pipeline/watermark.js';

async function compileLoads(): Promise<string[]> {
  const out: CompiledQuery[] = [];
  const db = offlineKysely('mssql', out);
  await acquireLease(db, 'r1', 30);
  await db.transaction().execute(async (trx) => {
    for (const load of DIMENSION_LOADS) await (load.kind === 'scd2' ? mergeScd2(trx, load.def, 'r1') : mergeScd1(trx, load.def, 'r1'));
    await propagateCategoryNames(trx);
    await ensureCalendar(trx, '2026-01-01', '2026-01-03');
    for (const name of ['pedidos', 'itens_pedido', 'pagamentos'] as const) await upsertOds(trx, entity(name)!);
    await loadSales(trx, 'r1');
    await loadTargets(trx, 'r1');
    await rekeyFacts(trx);
    await advanceWatermark(trx, 'clientes', new Date(), 'r1');
  });
  await releaseLease(db, 'r1');
  return out.map((q) => q.sql);
}

describe('T-SQL of the loads', () => {
  it('compiles every merge, upsert and re-key statement without PostgreSQL-only syntax', async () => {
    const statements = await compileLoads();
    expect(statements.length).toBeGreaterThan(40);
    for (const s of statements) {
      // no boolean literals (T-SQL has none), no LIMIT, no casts with ::, no RETURNING, no ON CONFLICT, no ILIKE
      expect(s).not.toMatch(/\b(true|false)\b(?!")|\blimit\b|::|\breturning\b|\bon conflict\b|\bilike\b/i);
      // parameters use tedious's @n placeholders
      expect(s).not.toMatch(/\$\d/);
    }
    const all = statements.join('\n');
    expect(all).toMatch(/update "dw"."dim_cliente" set .* from \(select .* from "stg"."clientes"\) as "s" where "s"."id" = "dim_cliente"."cliente_id"/);
    expect(all).toContain('cast(1 as bit) as "is_current"');
    expect(all).toMatch(/insert into "dw"."fact_vendas" \("item_id", "pedido_id"/);
    expect(all).toMatch(/row_number\(\) over \(order by "s"."id"\)/);
  });
});
