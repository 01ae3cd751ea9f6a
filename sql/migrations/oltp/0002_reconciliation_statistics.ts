// Lets PostgreSQL plan the reconciliation's read of the source (shared/quality/
// reconciliation-queries.ts) as what it is: ~2 x 24 groups (discounted or not, per order month)
// over every item. Without statistics on these expressions the planner takes one group per order,
// which rules out a parallel aggregate; with them it scans, joins and sums in parallel workers
// (about half the time at scale 10). Extended statistics cost nothing on writes: ANALYZE (and
// autovacuum's) computes them. The expressions must stay exactly those of the query.
// SQL Server has no statistics on expressions and needs none here: nothing to do there.
import { sql, type Kysely } from 'kysely';
import { ddl } from '../ddl.js';

export async function up(db: Kysely<any>): Promise<void> {
  if (ddl(db).mssql) return;
  await sql`create statistics oltp.st_pedidos_order_month on (date_trunc('month', data_pedido at time zone 'UTC')) from oltp.pedidos`.execute(db);
  await sql`create statistics oltp.st_itens_pedido_discounted on ((case when (campanha_id is not null or valor_desconto > 0) then 1 else 0 end)) from oltp.itens_pedido`.execute(
    db,
  );
  // an existing source gets them now; a new one when autovacuum first analyzes it
  await sql`analyze oltp.pedidos`.execute(db);
  await sql`analyze oltp.itens_pedido`.execute(db);
}
