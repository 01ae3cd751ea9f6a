// Reconciliation of the warehouse against the source, the closing check of every fault case
// (tests/faults/): what a person would check by hand after an incident.
//
//   const r = await reconcile(oltp.db, dw.db);
//   expect(r.differences).toEqual([]);          // converged: nothing missing, extra, stale or off by a cent
//   expect(r.watermarkViolations).toEqual([]);  // also mid-incident: no watermark passed an unloaded row
//
// Every due source row (updated_at <= dueBefore, default now) must be in its target exactly once
// at its current version: the SCD1 dimensions, the current row of the SCD2 dimensions, the ODS,
// fact_vendas (one fact per item, money and status equal to the source's), fact_descontos,
// fact_metas. Sums of net, gross and discount of live items per order month (and the payments
// and targets overall) must be equal to the unit (1/10,000, so also to the cent). No fact may
// point at a dimension row that does not exist or belongs to another member, nor at the unknown
// member (-1) when the member is loaded. A row the pipeline quarantined (etl.rejected_row holds
// its current version) counts as accounted for, not as missing: source = loaded + rejected.
// Watermarks: no source row at or before an entity's watermark may be missing or stale.
//
// Everything is compared in JS over whole tables: meant for the small data of fault tests.
import type { Kysely } from 'kysely';
import type { OltpTables, WarehouseTables } from '../../shared/db/schema/index.js';
import { formatMoney, parseMoney } from '../../shared/model/money.js';

export interface Reconciliation {
  /** one line per difference; empty when the warehouse matches the source */
  differences: string[];
  /** the subset of differences that are rows at or before their entity's watermark */
  watermarkViolations: string[];
  /** source rows per entity that were due, and how many of them are quarantined */
  due: Record<string, number>;
  quarantined: Record<string, number>;
}

type Row = Record<string, unknown>;

/** Where each source entity lands: table, business key column, version column, SCD2 or not. */
const TARGETS = {
  categorias: { table: 'dw.dim_categoria', id: 'categoria_id', version: 'source_updated_at', scd2: false },
  vendedores: { table: 'dw.dim_vendedor', id: 'vendedor_id', version: 'source_updated_at', scd2: false },
  campanhas: { table: 'dw.dim_campanha', id: 'campanha_id', version: 'source_updated_at', scd2: false },
  clientes: { table: 'dw.dim_cliente', id: 'cliente_id', version: 'source_updated_at', scd2: true },
  produtos: { table: 'dw.dim_produto', id: 'produto_id', version: 'source_updated_at', scd2: true },
  pedidos: { table: 'ods.pedidos', id: 'id', version: 'updated_at', scd2: false },
  itens_pedido: { table: 'ods.itens_pedido', id: 'id', version: 'updated_at', scd2: false },
  pagamentos: { table: 'ods.pagamentos', id: 'id', version: 'updated_at', scd2: false },
  metas: { table: 'dw.fact_metas', id: 'meta_id', version: 'source_updated_at', scd2: false },
} as const;
type Entity = keyof typeof TARGETS;

/** Columns a target derives or renames: not compared with the source's column of the same name. */
const NOT_COMPARED = new Set(['id', 'created_at', 'updated_at', 'source_updated_at', 'run_id', 'loaded_at']);

const time = (v: unknown): number | null => (v === null || v === undefined ? null : new Date(v as string | Date).getTime());
const iso = (v: unknown): string => (v === null || v === undefined ? 'null' : new Date(v as string | Date).toISOString());
const money = (v: unknown): bigint => (v === null || v === undefined ? 0n : parseMoney(String(v)));
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A value in a form both databases agree on: instants as ISO, decimals as exact units, the rest as JSON. */
function norm(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string' && DECIMAL.test(v) && v.includes('.')) return formatMoney(parseMoney(v));
  if (typeof v === 'bigint') return String(v);
  return JSON.stringify(v ?? null);
}

export async function reconcile(oltp: Kysely<OltpTables>, dw: Kysely<WarehouseTables>, opts: { dueBefore?: Date } = {}): Promise<Reconciliation> {
  const src: Kysely<any> = oltp;
  const wh: Kysely<any> = dw;
  const dueBefore = (opts.dueBefore ?? new Date()).getTime();
  const differences: string[] = [];
  const watermarkViolations: string[] = [];
  const due: Record<string, number> = {};
  const quarantinedCount: Record<string, number> = {};

  // what the pipeline quarantined: entity -> business key -> versions (updated_at) quarantined
  const rejected = new Map<string, Map<string, Set<number>>>();
  for (const r of (await wh.selectFrom('etl.rejected_row').select(['entity', 'business_key', 'raw_row']).execute()) as Row[]) {
    let at: number | null = null;
    try {
      at = time((JSON.parse(String(r.raw_row)) as Row).updated_at);
    } catch {
      /* an unparsable raw row accounts for nothing */
    }
    if (at === null || Number.isNaN(at) || r.business_key === null) continue;
    const byKey = rejected.get(String(r.entity)) ?? new Map<string, Set<number>>();
    rejected.set(String(r.entity), byKey);
    const versions = byKey.get(String(r.business_key)) ?? new Set<number>();
    byKey.set(String(r.business_key), versions);
    versions.add(at);
  }
  const watermarks = new Map<string, number>();
  for (const w of (await wh.selectFrom('etl.watermark').select(['entity', 'high_water']).execute()) as Row[])
    watermarks.set(String(w.entity), time(w.high_water)!);

  const source: Record<string, Row[]> = {};
  /** per entity: the due source rows that are expected in the warehouse (not quarantined) */
  const expected: Record<string, Map<number, Row>> = {};
  const loaded: Record<string, Map<number, Row>> = {};

  for (const [name, target] of Object.entries(TARGETS) as [Entity, (typeof TARGETS)[Entity]][]) {
    const rows = (await src.selectFrom(`oltp.${name}`).selectAll().orderBy('id').execute()) as Row[];
    source[name] = rows;
    const exp = new Map<number, Row>();
    let dueN = 0;
    let quarantinedN = 0;
    for (const row of rows) {
      if (time(row.updated_at)! > dueBefore) continue;
      dueN++;
      if (rejected.get(name)?.get(String(row.id))?.has(time(row.updated_at)!)) quarantinedN++;
      else exp.set(Number(row.id), row);
    }
    due[name] = dueN;
    quarantinedCount[name] = quarantinedN;
    expected[name] = exp;

    // members -1 (unknown) and campanha 0 (no campaign) are the warehouse's own
    let q = wh.selectFrom(target.table).selectAll().where(target.id, '>', 0);
    if (target.scd2) q = q.where('is_current', '=', true);
    const targetRows = (await q.execute()) as Row[];
    const got = new Map<number, Row>();
    for (const t of targetRows) {
      const id = Number(t[target.id]);
      if (got.has(id)) differences.push(`${name} ${id}: ${target.scd2 ? 'more than one current row' : 'loaded more than once'} in ${target.table}`);
      got.set(id, t);
    }
    loaded[name] = got;
    if (target.scd2) {
      const all = (await wh.selectFrom(target.table).select(target.id).where(target.id, '>', 0).distinct().execute()) as Row[];
      for (const t of all) if (!got.has(Number(t[target.id]))) differences.push(`${name} ${String(t[target.id])}: no current row in ${target.table}`);
    }

    const wm = watermarks.get(name);
    const fail = (row: Row, what: string) => {
      const line = `${name} ${String(row.id)} (updated_at ${iso(row.updated_at)}): ${what}`;
      differences.push(line);
      if (wm !== undefined && time(row.updated_at)! <= wm) watermarkViolations.push(`${line}, yet the watermark is ${new Date(wm).toISOString()}`);
    };
    for (const [id, row] of exp) {
      const t = got.get(id);
      if (!t) {
        fail(row, `missing from ${target.table}`);
        continue;
      }
      const version = time(t[target.version]);
      if (version !== time(row.updated_at)) {
        fail(row, `${target.table} holds the version of ${iso(t[target.version])}`);
        continue;
      }
      for (const [column, value] of Object.entries(row)) {
        if (NOT_COMPARED.has(column) || !(column in t)) continue;
        if (norm(value) !== norm(t[column])) fail(row, `${target.table}.${column} is ${norm(t[column])}, source ${norm(value)}`);
      }
    }
    for (const [id] of got) {
      if (!exp.has(id)) {
        const inSource = rows.find((r) => Number(r.id) === id);
        // a not-yet-due change of a loaded row is fine; a row the source never had is not
        if (!inSource) differences.push(`${name} ${id}: in ${target.table} but not in the source`);
        else if (!rejected.get(name)?.has(String(id)) && time(inSource.updated_at)! <= dueBefore)
          differences.push(`${name} ${id}: in ${target.table} but not expected`);
      }
    }
  }

  // --- fact_vendas: one fact per expected item whose order is expected, money and status equal --
  const orders = expected.pedidos!;
  const items = [...expected.itens_pedido!.values()].filter((i) => orders.has(Number(i.pedido_id)));
  const facts = new Map<number, Row>();
  for (const f of (await wh.selectFrom('dw.fact_vendas').selectAll().execute()) as Row[]) {
    if (facts.has(Number(f.item_id))) differences.push(`fact_vendas: item ${String(f.item_id)} twice`);
    facts.set(Number(f.item_id), f);
  }
  const month = (v: unknown) => iso(v).slice(0, 7);
  const sums = { source: new Map<string, bigint[]>(), warehouse: new Map<string, bigint[]>() };
  const add = (m: Map<string, bigint[]>, key: string, values: bigint[]) => {
    const s = m.get(key) ?? values.map(() => 0n);
    m.set(
      key,
      s.map((x, i) => x + values[i]!),
    );
  };
  const expectedItemIds = new Set<number>();
  for (const item of items) {
    const id = Number(item.id);
    expectedItemIds.add(id);
    const order = orders.get(Number(item.pedido_id))!;
    if (item.deleted_at === null) add(sums.source, month(order.data_pedido), [money(item.valor_liquido), money(item.valor_bruto), money(item.valor_desconto)]);
    const f = facts.get(id);
    if (!f) {
      differences.push(`fact_vendas: item ${id} (order ${String(item.pedido_id)}) missing`);
      continue;
    }
    const want: Row = {
      pedido_id: item.pedido_id,
      quantidade: item.quantidade,
      valor_bruto: item.valor_bruto,
      valor_desconto: item.valor_desconto,
      valor_liquido: item.valor_liquido,
      status: order.status,
      removido: item.deleted_at !== null,
      cliente_id: order.cliente_id,
      produto_id: item.produto_id,
      vendedor_id: item.vendedor_id,
    };
    for (const [column, value] of Object.entries(want)) {
      if (norm(value) !== norm(f[column])) differences.push(`fact_vendas: item ${id} ${column} is ${norm(f[column])}, source ${norm(value)}`);
    }
  }
  for (const [id, f] of facts) {
    if (!expectedItemIds.has(id) && !rejected.get('itens_pedido')?.has(String(id)) && !rejected.get('pedidos')?.has(String(f.pedido_id)))
      differences.push(`fact_vendas: item ${id} not expected`);
    if (f.removido === false) add(sums.warehouse, month(f.data_pedido), [money(f.valor_liquido), money(f.valor_bruto), money(f.valor_desconto)]);
  }
  for (const m of new Set([...sums.source.keys(), ...sums.warehouse.keys()])) {
    const [s, w] = [sums.source.get(m) ?? [0n, 0n, 0n], sums.warehouse.get(m) ?? [0n, 0n, 0n]];
    ['net', 'gross', 'discount'].forEach((what, i) => {
      if (s[i] !== w[i]) differences.push(`fact_vendas ${m}: ${what} ${formatMoney(w[i]!)}, source ${formatMoney(s[i]!)}`);
    });
  }

  // --- fact_descontos: an item with a campaign or a discount, with its discount ----------------
  const discounted = items.filter((i) => i.campanha_id !== null || money(i.valor_desconto) > 0n);
  const descontos = new Map<number, Row>();
  for (const d of (await wh.selectFrom('dw.fact_descontos').select(['item_id', 'valor_desconto']).execute()) as Row[]) descontos.set(Number(d.item_id), d);
  let sourceDiscount = 0n;
  let warehouseDiscount = 0n;
  for (const i of discounted) {
    sourceDiscount += money(i.valor_desconto);
    if (!descontos.has(Number(i.id))) differences.push(`fact_descontos: item ${String(i.id)} missing`);
  }
  for (const d of descontos.values()) warehouseDiscount += money(d.valor_desconto);
  if (descontos.size !== discounted.length) differences.push(`fact_descontos: ${descontos.size} facts, source ${discounted.length} discounted items`);
  if (sourceDiscount !== warehouseDiscount)
    differences.push(`fact_descontos: discount ${formatMoney(warehouseDiscount)}, source ${formatMoney(sourceDiscount)}`);

  // --- totals of payments and targets (their rows are compared above) ---------------------------
  const total = (rows: Iterable<Row>, column: string) => [...rows].reduce((s, r) => s + money(r[column]), 0n);
  for (const [name, column] of [
    ['pagamentos', 'valor'],
    ['metas', 'valor_meta'],
  ] as const) {
    const [s, w] = [total(expected[name]!.values(), column), total(loaded[name]!.values(), column)];
    if (s !== w) differences.push(`${name}: ${column} total ${formatMoney(w)}, source ${formatMoney(s)}`);
  }

  // --- keys: every fact key is a dimension row of the same member; -1 only for a missing member --
  const dims = {
    cliente: { table: 'dw.dim_cliente', entity: 'clientes' },
    produto: { table: 'dw.dim_produto', entity: 'produtos' },
    vendedor: { table: 'dw.dim_vendedor', entity: 'vendedores' },
    campanha: { table: 'dw.dim_campanha', entity: 'campanhas' },
  } as const;
  for (const [dim, d] of Object.entries(dims)) {
    const members = new Map<number, number>();
    for (const r of (await wh
      .selectFrom(d.table)
      .select([`${dim}_key as k`, `${dim}_id as id`])
      .execute()) as Row[])
      members.set(Number(r.k), Number(r.id));
    const checkKeys = async (table: string, label: string) => {
      const rows = (await wh
        .selectFrom(table)
        .select(['item_id', `${dim}_key as k`, ...(table === 'dw.fact_vendas' || dim === 'campanha' ? [`${dim}_id as id`] : [])])
        .execute()) as Row[];
      for (const r of rows) {
        const key = Number(r.k);
        const id = r.id === undefined || r.id === null ? null : Number(r.id);
        if (dim === 'campanha' && key === 0 && id === null) continue; // "no campaign"
        if (!members.has(key)) differences.push(`${label}: item ${String(r.item_id)} ${dim}_key ${key} is no ${d.table} row (orphan)`);
        else if (key === -1) {
          if (id !== null && loaded[d.entity]!.has(id))
            differences.push(`${label}: item ${String(r.item_id)} still points at the unknown ${dim} though ${id} is loaded`);
        } else if (id !== null && members.get(key) !== id)
          differences.push(`${label}: item ${String(r.item_id)} ${dim}_key ${key} is member ${members.get(key)}, not ${id}`);
      }
    };
    await checkKeys('dw.fact_vendas', 'fact_vendas');
    if (dim === 'campanha') await checkKeys('dw.fact_descontos', 'fact_descontos');
  }
  const dates = new Set(((await wh.selectFrom('dw.dim_data').select('data_key').execute()) as Row[]).map((r) => Number(r.data_key)));
  for (const f of facts.values()) {
    for (const k of ['data_pedido_key', 'data_entrega_key']) {
      if (!dates.has(Number(f[k]))) differences.push(`fact_vendas: item ${String(f.item_id)} ${k} ${String(f[k])} is no dw.dim_data row (orphan)`);
    }
    if (f.data_pedido !== null && Number(f.data_pedido_key) === -1)
      differences.push(`fact_vendas: item ${String(f.item_id)} has an order date but date key -1`);
  }

  return { differences, watermarkViolations, due, quarantined: quarantinedCount };
}

/** Fails with the first differences, readable in a test's output. */
export function expectReconciled(r: Reconciliation, what = 'warehouse'): void {
  if (r.differences.length === 0) return;
  const shown = r.differences.slice(0, 25).join('\n  ');
  throw new Error(`${what} does not reconcile with the source (${r.differences.length} differences):\n  ${shown}`);
}
