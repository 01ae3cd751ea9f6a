// One deterministic day of OLTP changes on top of the base seed: what the daily ELT must pick
// up. Everything it writes is stamped inside (at - 60 min, at], later than any updated_at
// already in the OLTP, and it reproduces the situations incremental loaders get wrong
// (DESIGN §4.1, §9):
//   - new orders (items, payments), some by brand-new customers;
//   - status changes along criado -> aprovado -> faturado -> enviado -> entregue (orders that
//     become paid get their payments) and cancellations of open orders;
//   - a list-price change and a category change (SCD2 on dim_produto), customers who move to
//     another state (SCD2 on dim_cliente), a new campaign;
//   - several rows sharing one exact updated_at (a batch job stamps them together);
//   - a late row: after the main transaction commits, a second one writes a row with
//     updated_at = at - 5 min, earlier than rows that were already visible.
//
// planIncrementalDay() reads the OLTP and decides every row it will insert or update (ids,
// values, timestamps) without writing; applyIncrementalDay() executes exactly that plan and
// reports what it changed. Same data + same --at + same --seed -> the same plan. The new
// campaign's codigo 'DIA-YYYY-MM-DD' marks the day as applied.
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { formatMoney, fromCents, parseMoney } from '../model/money.js';
import { OLTP_TABLES, type OltpTable } from '../model/oltp-tables.js';
import { FRETE_REGIAO, LOCAIS, MODOS_ENVIO, PESOS_SEGMENTO, PRIMEIROS_NOMES, SEGMENTOS, SOBRENOMES, UFS, type Regiao } from './brazil.js';
import { SeedError } from './errors.js';
import type { OrderStatus } from './lifecycle.js';
import { itemFreight, priceOrder, type CampaignTerms, type ItemDraft } from './order-money.js';
import { drawPaymentPlan, splitPayments, type PaymentPlan } from './payments.js';
import { Rng, WeightedTable } from './random.js';
import { DAY, HOUR, isoDate, MINUTE } from './time.js';

export interface IncrementalOptions {
  readonly at: Date;
  readonly seed: number;
}

export interface RowChanges {
  readonly inserted: number[];
  readonly updated: number[];
}
export type ChangeSet = Record<OltpTable, RowChanges>;

type Value = string | number | boolean | null;
/** A timestamp in a planned row: epoch ms, converted to each engine's literal when applied. */
interface Instant {
  readonly ms: number;
}
type PlannedValue = Value | Instant;
type PlannedRow = Record<string, PlannedValue>;

export interface PlannedInsert {
  readonly kind: 'insert';
  readonly table: OltpTable;
  readonly row: PlannedRow & { id: number };
}
export interface PlannedUpdate {
  readonly kind: 'update';
  readonly table: OltpTable;
  readonly id: number;
  readonly set: PlannedRow;
  /** the update applies only while these columns still hold these values (the plan's premise) */
  readonly expect: Record<string, Value>;
  readonly why: string;
}
export type PlannedWrite = PlannedInsert | PlannedUpdate;

export interface IncrementalPlan {
  readonly day: string;
  readonly at: string;
  readonly seed: number;
  /** window of every timestamp written: (windowStart, at] */
  readonly windowStart: string;
  /** the instant stamped on the batch of status changes */
  readonly batchInstant: string;
  /** the instant stamped on the catalogue changes (campaign, price, category) */
  readonly catalogueInstant: string;
  /** written in the main transaction, in FK order */
  readonly main: readonly PlannedWrite[];
  /** written afterwards in its own transaction, stamped at - 5 min */
  readonly late: PlannedWrite;
  /** ids per table that main + late insert or update */
  readonly targets: ChangeSet;
  /** customers that moved: id and their new place */
  readonly moves: readonly { id: number; cidade: string; estado: string }[];
}

const OPEN: readonly OrderStatus[] = ['criado', 'aprovado', 'faturado', 'enviado'];
const NEXT: Partial<Record<OrderStatus, OrderStatus>> = { criado: 'aprovado', aprovado: 'faturado', faturado: 'enviado', enviado: 'entregue' };
const TIMESTAMP_OF: Partial<Record<OrderStatus, string>> = { aprovado: 'data_aprovacao', enviado: 'data_envio', entregue: 'data_entrega' };
const REGIAO_OF = new Map(UFS.map((u) => [u.sigla, u.regiao]));

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const money = (units: bigint) => formatMoney(units);
const at_ = (ms: number): Instant => ({ ms });
const isInstant = (v: PlannedValue): v is Instant => typeof v === 'object' && v !== null;
const ascii = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');

/** Counts of the day, proportional to the orders already in the OLTP (20,000 at scale 1), with floors. */
export function incrementalSizes(orders: number) {
  const novos = Math.max(6, Math.round(orders / 600));
  return {
    novosPedidos: novos,
    novosClientes: Math.max(2, Math.round(novos * 0.3)),
    avancos: Math.max(3, Math.round(orders / 500)),
    cancelamentos: Math.max(1, Math.round(orders / 4000)),
    mudancas: Math.max(2, Math.round(orders / 5000)),
  };
}

function emptyChanges(): ChangeSet {
  return Object.fromEntries(OLTP_TABLES.map((t) => [t, { inserted: [], updated: [] }])) as unknown as ChangeSet;
}

function changesOf(writes: readonly PlannedWrite[]): ChangeSet {
  const out = emptyChanges();
  for (const w of writes) {
    if (w.kind === 'insert') out[w.table].inserted.push(w.row.id);
    else if (!out[w.table].updated.includes(w.id)) out[w.table].updated.push(w.id);
  }
  return out;
}

const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : new Date(String(v)).getTime());

async function maxId(db: Kysely<any>, table: OltpTable): Promise<number> {
  const r = await db
    .selectFrom(`oltp.${table}`)
    .select((eb) => eb.fn.max('id').as('m'))
    .executeTakeFirstOrThrow();
  return r.m === null ? 0 : Number(r.m);
}

/** Distinct random ids in [1, max], in draw order. */
function drawIds(rng: Rng, max: number, count: number, exclude: ReadonlySet<number> = new Set()): number[] {
  const out = new Set<number>();
  for (let tries = 0; out.size < count && tries < count * 20; tries++) {
    const id = rng.int(1, max);
    if (!exclude.has(id)) out.add(id);
  }
  return [...out];
}

/** Reads the OLTP and decides every change of the incremental day, without writing anything. */
export async function planIncrementalDay(database: Database, options: IncrementalOptions): Promise<IncrementalPlan> {
  const db = database.db;
  const at = options.at.getTime();
  if (Number.isNaN(at)) throw new SeedError('--at must be a valid instant');
  const day = isoDate(at);
  const windowStart = at - HOUR;
  const marker = `DIA-${day}`;

  const applied = await db.selectFrom('oltp.campanhas').select('id').where('codigo', '=', marker).executeTakeFirst();
  if (applied) throw new SeedError(`incremental day ${day} already applied (campaign ${marker} exists); pick an --at on another UTC date`);

  const orderCount = Number(
    (
      await db
        .selectFrom('oltp.pedidos')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  if (orderCount === 0) throw new SeedError('the OLTP has no orders: run `npm run seed` first');

  let latest = 0;
  for (const table of OLTP_TABLES) {
    const r = await db
      .selectFrom(`oltp.${table}`)
      .select((eb) => eb.fn.max('updated_at').as('m'))
      .executeTakeFirstOrThrow();
    if (r.m !== null) latest = Math.max(latest, ms(r.m));
  }
  if (latest > windowStart) {
    throw new SeedError(
      `the clock is behind the data: the incremental day writes in (${new Date(windowStart).toISOString()}, ${new Date(at).toISOString()}] ` +
        `but the OLTP already has updated_at ${new Date(latest).toISOString()}; use an --at at least 60 minutes after it`,
    );
  }

  const rng = new Rng(`vendas-analytics/incremental/${options.seed}/${new Date(at).toISOString()}`);
  const sizes = incrementalSizes(orderCount);
  const catalogueAt = at - 45 * MINUTE;
  const batchAt = at - 30 * MINUTE;
  const lateAt = at - 5 * MINUTE;
  const main: PlannedWrite[] = [];

  // --- catalogue: a new campaign, one price change, one category change (one shared instant)
  const campanhaId = (await maxId(db, 'campanhas')) + 1;
  const cupom = rng.chance(0.5);
  const campaign: CampaignTerms = {
    id: campanhaId,
    tipo: cupom ? 'cupom' : 'percentual',
    percentual: cupom ? null : rng.pick([1000n, 1500n, 2000n]),
    valorCupom: cupom ? fromCents(rng.pick([15, 20, 30]) * 100) : null,
  };
  main.push({
    kind: 'insert',
    table: 'campanhas',
    row: {
      id: campanhaId,
      codigo: marker,
      nome: `Oferta do Dia ${day.split('-').reverse().join('/')}`,
      tipo: campaign.tipo,
      percentual: campaign.percentual === null ? null : money(campaign.percentual),
      valor_cupom: campaign.valorCupom === null ? null : money(campaign.valorCupom),
      inicio: at_(catalogueAt),
      fim: at_(catalogueAt + 14 * DAY),
      custo: money(fromCents(rng.int(5, 50) * 100000)),
      ativa: true,
      created_at: at_(catalogueAt),
      updated_at: at_(catalogueAt),
    },
  });

  const produtoMax = await maxId(db, 'produtos');
  const [priceId, categoryId] = drawIds(rng, produtoMax, 2);
  if (priceId === undefined || categoryId === undefined) throw new SeedError('the OLTP needs at least two products');
  const productsById = new Map<number, { preco: bigint; custo: bigint; peso: number; categoria: number }>();
  const loadProducts = async (ids: number[]) => {
    const want = ids.filter((id) => !productsById.has(id));
    if (want.length === 0) return;
    const rows = await db.selectFrom('oltp.produtos').select(['id', 'preco_lista', 'custo', 'peso_g', 'categoria_id']).where('id', 'in', want).execute();
    for (const r of rows) {
      productsById.set(Number(r.id), {
        preco: parseMoney(String(r.preco_lista)),
        custo: r.custo === null ? 0n : parseMoney(String(r.custo)),
        peso: r.peso_g === null ? 500 : Number(r.peso_g),
        categoria: Number(r.categoria_id),
      });
    }
  };
  await loadProducts([priceId, categoryId]);
  {
    const p = productsById.get(priceId)!;
    const oldCents = Number(p.preco / 100n);
    // A 5-20% rise or cut, still ending in ,90 and above cost.
    const factor = rng.chance(0.5) ? rng.int(105, 120) : rng.int(80, 95);
    let cents = Math.floor((oldCents * factor) / 100 / 100) * 100 - 10;
    const costCents = Number(p.custo / 100n);
    if (cents <= costCents) cents = Math.floor(costCents / 100) * 100 + 190;
    if (cents === oldCents) cents += 100;
    main.push({
      kind: 'update',
      table: 'produtos',
      id: priceId,
      why: 'price change',
      set: { preco_lista: money(fromCents(cents)), updated_at: at_(catalogueAt) },
      expect: { preco_lista: money(p.preco) },
    });
    productsById.set(priceId, { ...p, preco: fromCents(cents) });
  }
  {
    const p = productsById.get(categoryId)!;
    const children = await db.selectFrom('oltp.categorias').select('id').where('categoria_pai_id', 'is not', null).orderBy('id').execute();
    const choices = children.map((c) => Number(c.id)).filter((id) => id !== p.categoria);
    if (choices.length === 0) throw new SeedError('the OLTP needs at least two child categories');
    main.push({
      kind: 'update',
      table: 'produtos',
      id: categoryId,
      why: 'category change',
      set: { categoria_id: rng.pick(choices), updated_at: at_(catalogueAt) },
      expect: { categoria_id: p.categoria },
    });
  }

  // --- open orders: cancellations, the late row, then status advances (shared instant)
  const open = await db
    .selectFrom('oltp.pedidos')
    .select(['id', 'status', 'valor_total'])
    .where('status', 'in', [...OPEN])
    .orderBy('id')
    .execute();
  const shuffled = rng.shuffle(open.map((o) => ({ id: Number(o.id), status: String(o.status) as OrderStatus, total: parseMoney(String(o.valor_total)) })));
  const taken = new Set<number>();
  const cancel = shuffled.filter((o) => o.status === 'criado' || o.status === 'aprovado').slice(0, sizes.cancelamentos);
  cancel.forEach((o) => taken.add(o.id));
  const lateOrder = shuffled.find((o) => !taken.has(o.id) && o.status !== 'criado');
  if (lateOrder) taken.add(lateOrder.id);
  const advance = shuffled.filter((o) => !taken.has(o.id)).slice(0, sizes.avancos);

  let pagamentoId = await maxId(db, 'pagamentos');
  const paymentsFor = (pedidoId: number, total: bigint, plan: PaymentPlan, when: number): PlannedWrite[] =>
    splitPayments(total, plan).map((p) => ({
      kind: 'insert',
      table: 'pagamentos',
      row: {
        id: ++pagamentoId,
        pedido_id: pedidoId,
        sequencial: p.sequencial,
        tipo: p.tipo,
        parcelas: p.parcelas,
        valor: money(p.valor),
        created_at: at_(when),
        updated_at: at_(when),
      },
    }));
  const statusWrites: PlannedWrite[] = [];
  const paymentWrites: PlannedWrite[] = [];
  for (const o of [...advance].sort((a, b) => a.id - b.id)) {
    const to = NEXT[o.status]!;
    const column = TIMESTAMP_OF[to];
    statusWrites.push({
      kind: 'update',
      table: 'pedidos',
      id: o.id,
      why: `${o.status} -> ${to}`,
      set: { status: to, ...(column ? { [column]: at_(batchAt) } : {}), updated_at: at_(batchAt) },
      expect: { status: o.status },
    });
    if (to === 'aprovado') paymentWrites.push(...paymentsFor(o.id, o.total, drawPaymentPlan(rng), batchAt));
  }
  for (const o of [...cancel].sort((a, b) => a.id - b.id)) {
    statusWrites.push({
      kind: 'update',
      table: 'pedidos',
      id: o.id,
      why: `${o.status} -> cancelado`,
      set: { status: 'cancelado', data_cancelamento: at_(batchAt), updated_at: at_(batchAt) },
      expect: { status: o.status },
    });
  }

  // --- customers: a few move to another state; some new ones sign up and order right away
  const clienteMax = await maxId(db, 'clientes');
  const moverIds = drawIds(rng, clienteMax, sizes.mudancas);
  const orderCustomerIds = drawIds(rng, clienteMax, sizes.novosPedidos - sizes.novosClientes, new Set(moverIds));
  const people = await db
    .selectFrom('oltp.clientes')
    .select(['id', 'cidade', 'estado', 'regiao'])
    .where('id', 'in', [...moverIds, ...orderCustomerIds])
    .execute();
  const person = new Map(people.map((p) => [Number(p.id), { cidade: String(p.cidade), estado: String(p.estado), regiao: p.regiao as Regiao | null }]));
  const places = new WeightedTable(
    LOCAIS,
    LOCAIS.map((l) => l.peso),
  );
  const moves: { id: number; cidade: string; estado: string }[] = [];
  const moveWrites: PlannedWrite[] = [];
  for (const id of [...moverIds].sort((a, b) => a - b)) {
    const now = person.get(id);
    if (!now) continue;
    let dest = places.pick(rng);
    for (let tries = 0; dest.uf === now.estado && tries < 20; tries++) dest = places.pick(rng);
    if (dest.uf === now.estado) dest = LOCAIS.find((l) => l.uf !== now.estado)!;
    const when = windowStart + rng.int(2 * MINUTE, 58 * MINUTE);
    moves.push({ id, cidade: dest.cidade, estado: dest.uf });
    moveWrites.push({
      kind: 'update',
      table: 'clientes',
      id,
      why: `moved ${now.estado} -> ${dest.uf}`,
      set: { cidade: dest.cidade, estado: dest.uf, regiao: dest.regiao, cep_prefixo: pad(dest.cep + rng.int(0, 99), 5), updated_at: at_(when) },
      expect: { cidade: now.cidade, estado: now.estado },
    });
  }

  // --- new orders in (at - 40 min, at]; the last one at `at` exactly
  const vendedorMax = await maxId(db, 'vendedores');
  let clienteId = clienteMax;
  let pedidoId = await maxId(db, 'pedidos');
  let itemId = await maxId(db, 'itens_pedido');
  const customerWrites: PlannedWrite[] = [];
  const orderWrites: PlannedWrite[] = [];
  const itemWrites: PlannedWrite[] = [];
  const buyers: ({ existing: number } | { fresh: true })[] = [
    ...orderCustomerIds.filter((id) => person.has(id)).map((id) => ({ existing: id })),
    ...Array.from({ length: sizes.novosClientes }, () => ({ fresh: true as const })),
  ];
  const buyerOrder = rng.shuffle(buyers);
  const times = Array.from({ length: buyerOrder.length - 1 }, () => at - rng.int(1, 40 * MINUTE - 1));
  times.sort((a, b) => a - b);
  times.push(at);
  for (let k = 0; k < buyerOrder.length; k++) {
    const placed = times[k]!;
    const buyer = buyerOrder[k]!;
    let cliente: number;
    let place: { cidade: string; estado: string; regiao: Regiao };
    if ('existing' in buyer) {
      const p = person.get(buyer.existing)!;
      cliente = buyer.existing;
      place = { cidade: p.cidade, estado: p.estado, regiao: p.regiao ?? REGIAO_OF.get(p.estado) ?? 'Sudeste' };
    } else {
      const local = places.pick(rng);
      const first = rng.pick(PRIMEIROS_NOMES);
      const last = rng.pick(SOBRENOMES);
      cliente = ++clienteId;
      const created = placed - rng.int(1000, 120_000);
      place = { cidade: local.cidade, estado: local.uf, regiao: local.regiao };
      customerWrites.push({
        kind: 'insert',
        table: 'clientes',
        row: {
          id: cliente,
          codigo: `CLI-${pad(cliente, 8)}`,
          nome: `${first} ${last}`,
          email: `${ascii(first)}.${ascii(last)}${cliente}@example.com`,
          segmento: rng.weighted(SEGMENTOS, PESOS_SEGMENTO),
          cidade: local.cidade,
          estado: local.uf,
          regiao: local.regiao,
          cep_prefixo: pad(local.cep + rng.int(0, 99), 5),
          ativo: true,
          created_at: at_(created),
          updated_at: at_(created),
        },
      });
    }
    const id = ++pedidoId;
    const modo = rng.weighted(
      MODOS_ENVIO,
      MODOS_ENVIO.map((m) => m.peso),
    );
    const region = FRETE_REGIAO[place.regiao];
    const count = rng.weighted([1, 2, 3], [80, 15, 5]);
    const productIds = drawIds(rng, produtoMax, count);
    await loadProducts(productIds);
    const drafts: ItemDraft[] = productIds
      .filter((p) => productsById.has(p))
      .map((p) => {
        const prod = productsById.get(p)!;
        const quantidade = rng.weighted([1, 2], [90, 10]);
        return {
          produtoId: p,
          vendedorId: rng.int(1, vendedorMax),
          quantidade,
          precoUnitario: prod.preco,
          custoUnitario: prod.custo,
          frete: itemFreight(modo.base, modo.porKg, prod.peso, quantidade, Math.round(region.fator * 100)),
          deleted: false,
        };
      });
    if (drafts.length === 0) continue;
    // The day's campaign started at catalogueAt: the first order uses it, then one in four.
    const priced = priceOrder(drafts, k === 0 || rng.chance(0.25) ? campaign : null);
    const plan = drawPaymentPlan(rng);
    const approval = plan.principal === 'boleto' ? null : placed + rng.int(30_000, 5 * MINUTE);
    const approved = approval !== null && approval <= at && rng.chance(0.6) ? approval : null;
    orderWrites.push({
      kind: 'insert',
      table: 'pedidos',
      row: {
        id,
        codigo: `PED-${day.replaceAll('-', '')}-${pad(k + 1, 5)}`,
        cliente_id: cliente,
        status: approved === null ? 'criado' : 'aprovado',
        data_pedido: at_(placed),
        data_aprovacao: approved === null ? null : at_(approved),
        data_envio: null,
        data_entrega: null,
        data_entrega_prevista: at_(Math.floor((placed + (modo.dias[1] + region.dias + 3) * DAY) / DAY) * DAY),
        data_cancelamento: null,
        cidade_entrega: place.cidade,
        estado_entrega: place.estado,
        modo_envio: modo.nome,
        campanha_id: priced.campanhaId,
        valor_produtos: money(priced.valorProdutos),
        valor_desconto: money(priced.valorDesconto),
        valor_frete: money(priced.valorFrete),
        valor_total: money(priced.valorTotal),
        created_at: at_(placed),
        updated_at: at_(approved ?? placed),
      },
    });
    priced.items.forEach((it, n) => {
      itemWrites.push({
        kind: 'insert',
        table: 'itens_pedido',
        row: {
          id: ++itemId,
          pedido_id: id,
          numero_item: n + 1,
          produto_id: it.produtoId,
          vendedor_id: it.vendedorId,
          campanha_id: it.campanhaId,
          quantidade: it.quantidade,
          preco_unitario: money(it.precoUnitario),
          valor_bruto: money(it.valorBruto),
          percentual_desconto: it.percentualDesconto === null ? null : money(it.percentualDesconto),
          valor_desconto: money(it.valorDesconto),
          valor_liquido: money(it.valorLiquido),
          valor_frete: money(it.frete),
          custo_total: money(it.custoTotal),
          deleted_at: null,
          created_at: at_(placed),
          updated_at: at_(placed),
        },
      });
    });
    if (approved !== null) paymentWrites.push(...paymentsFor(id, priced.valorTotal, plan, approved));
  }

  // Parents before children, so foreign keys hold at every statement.
  main.push(...moveWrites, ...customerWrites, ...statusWrites, ...orderWrites, ...itemWrites, ...paymentWrites);

  // --- the late row: an order that moves on (no payment needed), or else a late sign-up
  let late: PlannedWrite;
  if (lateOrder) {
    const to = NEXT[lateOrder.status]!;
    const column = TIMESTAMP_OF[to];
    late = {
      kind: 'update',
      table: 'pedidos',
      id: lateOrder.id,
      why: `${lateOrder.status} -> ${to} (late commit)`,
      set: { status: to, ...(column ? { [column]: at_(lateAt) } : {}), updated_at: at_(lateAt) },
      expect: { status: lateOrder.status },
    };
  } else {
    const local = places.pick(rng);
    const id = ++clienteId;
    late = {
      kind: 'insert',
      table: 'clientes',
      row: {
        id,
        codigo: `CLI-${pad(id, 8)}`,
        nome: `${rng.pick(PRIMEIROS_NOMES)} ${rng.pick(SOBRENOMES)}`,
        email: null,
        segmento: 'Consumidor',
        cidade: local.cidade,
        estado: local.uf,
        regiao: local.regiao,
        cep_prefixo: pad(local.cep, 5),
        ativo: true,
        created_at: at_(lateAt),
        updated_at: at_(lateAt),
      },
    };
  }

  return {
    day,
    at: new Date(at).toISOString(),
    seed: options.seed,
    windowStart: new Date(windowStart).toISOString(),
    batchInstant: new Date(batchAt).toISOString(),
    catalogueInstant: new Date(catalogueAt).toISOString(),
    main,
    late,
    targets: changesOf([...main, late]),
    moves,
  };
}

/** Timestamps as each engine takes them: ISO with Z for PostgreSQL, ISO without zone for datetime2. */
function literal(database: Database, v: PlannedValue): Value {
  if (!isInstant(v)) return v;
  const text = new Date(v.ms).toISOString();
  return database.engine === 'mssql' ? text.slice(0, -1) : text;
}

function toRow(database: Database, row: PlannedRow): Record<string, Value> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, literal(database, v)]));
}

async function write(database: Database, db: Kysely<any>, w: PlannedWrite): Promise<void> {
  if (w.kind === 'insert') {
    await db.insertInto(`oltp.${w.table}`).values(toRow(database, w.row)).execute();
    return;
  }
  let q = db.updateTable(`oltp.${w.table}`).set(toRow(database, w.set)).where('id', '=', w.id);
  for (const [column, value] of Object.entries(w.expect)) q = q.where(column, '=', value);
  const r = await q.executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) {
    throw new SeedError(`incremental day: ${w.table} ${w.id} changed since it was planned (${w.why}); nothing of the main transaction was written`);
  }
}

/**
 * Applies a plan: the main writes in one transaction, then the late row in a second one.
 * Returns the ids it inserted or updated per table.
 */
export async function applyIncrementalDay(database: Database, plan: IncrementalPlan): Promise<ChangeSet> {
  // The marker campaign is the first insert: a concurrent run of the same day fails on its
  // unique codigo and rolls back instead of writing the day twice.
  await database.db.transaction().execute(async (trx) => {
    for (const w of plan.main) await write(database, trx, w);
  });
  const done: PlannedWrite[] = [...plan.main];
  await database.db.transaction().execute(async (trx) => {
    await write(database, trx, plan.late);
  });
  done.push(plan.late);
  return changesOf(done);
}

/** plan + apply, for the CLI and the local host. */
export async function runIncrementalDay(database: Database, options: IncrementalOptions): Promise<{ plan: IncrementalPlan; changes: ChangeSet }> {
  const plan = await planIncrementalDay(database, options);
  const changes = await applyIncrementalDay(database, plan);
  return { plan, changes };
}

/** Rows written by a plan, for logs: "pedidos +12 ~9". */
export function describeChanges(changes: ChangeSet): string[] {
  return OLTP_TABLES.filter((t) => changes[t].inserted.length + changes[t].updated.length > 0).map(
    (t) => `${t}: ${changes[t].inserted.length} new, ${changes[t].updated.length} updated`,
  );
}
