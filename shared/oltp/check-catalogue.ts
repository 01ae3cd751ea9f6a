// The catalogue of OLTP validation checks (`npm run oltp:check`): what a data engineer checks
// before trusting a source. Every check is one Kysely query selecting the failing rows (one row
// per failing source row, with the columns that identify it), so the same definition compiles to
// PostgreSQL and to T-SQL; check-runner.ts counts them and keeps a few as samples.
//
// Blocking checks describe data the warehouse cannot load correctly (orphans, broken money
// rules, duplicated business keys); warnings describe data worth a look that loads anyway.
// Money is compared in SQL on the decimal(19,4) columns: exact, never a binary float.
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { dayOfMonth, nowUtc } from '../db/portable-sql.js';
import { tablesOf, type Decimal, type OltpTables, type SharedTables, type TablesIn } from '../db/schema/index.js';
import { ORDER_STATUSES, PAID_STATUSES, OLTP_TABLES, type OltpTable } from '../model/oltp-tables.js';

export type Severity = 'blocking' | 'warning';

export interface OltpCheck {
  readonly name: string;
  readonly severity: Severity;
  readonly description: string;
  /** columns of failingRows() that identify a row; samples are ordered by them */
  readonly keys: readonly string[];
  /**
   * One row per failing source row; every column has a unique name (it is used as a derived
   * table). `db` may be a transaction or the offline compiler: engine-specific SQL comes from
   * shared/db/portable-sql.ts, which asks it for its dialect.
   */
  failingRows(db: Kysely<OltpTables>): SelectQueryBuilder<any, any, any>;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

const t = <N extends OltpTable>(name: N) => `oltp.${name}` as const;

/** Zero as the integer parameter the checks have always sent; a decimal column compares with it exactly. */
const ZERO = sql<Decimal>`${0}`;
/** Zero written into the SQL as the literal 0, typed as a decimal. */
const ZERO_LITERAL = sql<Decimal>`${sql.lit(0)}`;

/**
 * Checks over a table and columns chosen at run time (orphans, duplicate keys): those names
 * are assembled when the catalogue is built, which Kysely cannot type, so these queries use the
 * untyped view of the connection. The lists they come from are checked against the schema.
 */
type Untyped = Kysely<any>;

/** child.column points at a parent id that does not exist (NULL references are fine). */
function orphan(name: string, child: OltpTable, column: string, parent: OltpTable, description: string): OltpCheck {
  const [c, p]: string[] = [t(child), t(parent)];
  return {
    name,
    severity: 'blocking',
    description,
    keys: ['id'],
    failingRows: (typed) => {
      const db: Untyped = typed;
      return db
        .selectFrom(`${c} as c`)
        .select(['c.id as id', `c.${column} as ${column}`])
        .where(`c.${column}`, 'is not', null)
        .where((eb) => eb.not(eb.exists(eb.selectFrom(`${p} as p`).select(sql.lit(1).as('one')).whereRef('p.id', '=', `c.${column}`))));
    },
  };
}

/** A column of the OLTP table N. */
type ColumnOf<N extends OltpTable> = keyof OltpTables[`oltp.${N}`] & string;

/** child.column -> parent.id, the column checked against the child table. */
type ForeignKey = { [C in OltpTable]: readonly [child: C, column: ColumnOf<C>, parent: OltpTable] }[OltpTable];

const FOREIGN_KEYS: readonly ForeignKey[] = [
  ['produtos', 'categoria_id', 'categorias'],
  ['categorias', 'categoria_pai_id', 'categorias'],
  ['pedidos', 'cliente_id', 'clientes'],
  ['pedidos', 'campanha_id', 'campanhas'],
  ['itens_pedido', 'produto_id', 'produtos'],
  ['itens_pedido', 'vendedor_id', 'vendedores'],
  ['itens_pedido', 'campanha_id', 'campanhas'],
  ['pagamentos', 'pedido_id', 'pedidos'],
  ['metas', 'vendedor_id', 'vendedores'],
];

/** Rows whose business key is shared with another row of the same table (all of them fail). */
function duplicates<N extends OltpTable>(table: N, keys: readonly ColumnOf<N>[]): OltpCheck {
  const x: string = t(table);
  return {
    name: `duplicate_${table}_${keys.join('_')}`,
    severity: 'blocking',
    description: `${table}: (${keys.join(', ')}) is the business key but appears on more than one row`,
    keys: [...keys, 'id'],
    failingRows: (typed) => {
      const db: Untyped = typed;
      return db
        .selectFrom(`${x} as x`)
        .innerJoin(
          db
            .selectFrom(x)
            .select([...keys])
            .groupBy([...keys])
            .having((eb) => eb(eb.fn.countAll(), '>', 1))
            .as('d'),
          (join) => keys.reduce((j, k) => j.onRef(`d.${k}`, '=', `x.${k}`), join),
        )
        .select(['x.id as id', ...keys.map((k) => `x.${k} as ${k}`)]);
    },
  };
}

/** One query over every OLTP table: rows matching `where`, tagged with their table name. */
type SourceTable = TablesIn<OltpTables, 'oltp'>;
function everyTable(db: Kysely<OltpTables>, where: (eb: ExpressionBuilder<SharedTables<OltpTables, SourceTable>, SourceTable>) => Expression<SqlBool>) {
  const source = tablesOf(db, 'oltp');
  const [first, ...rest] = OLTP_TABLES.map((table) =>
    source
      .selectFrom(t(table))
      // a literal of our own table list, not a value: compiles to 'clientes' on every engine
      .select([sql.lit(table).as('tabela'), 'id', 'created_at', 'updated_at'])
      .where(where),
  );
  return rest.reduce((q, next) => q.unionAll(next), first!);
}

const ref = (r: string) => sql.ref(r);
/** Σ live items per order: valor_bruto, valor_desconto (soft-deleted items excluded) */
const liveItemSums = (db: Kysely<OltpTables>) =>
  db
    .selectFrom(t('itens_pedido'))
    .where('deleted_at', 'is', null)
    .groupBy('pedido_id')
    .select((eb) => [
      'pedido_id',
      eb.fn.sum<Decimal>('valor_bruto').as('bruto'),
      eb.fn.sum<Decimal>('valor_desconto').as('desconto'),
      eb.fn.countAll().as('itens'),
    ])
    .as('i');
/** pedidos.valor_total as the items and freight say it should be */
const expectedTotal = sql<string>`coalesce(${ref('i.bruto')}, 0) - coalesce(${ref('i.desconto')}, 0) + ${ref('p.valor_frete')}`;

// ---------------------------------------------------------------------------------------------
// The checks

export const OLTP_CHECKS: readonly OltpCheck[] = [
  // --- referential integrity -------------------------------------------------------------------
  ...FOREIGN_KEYS.map(([child, column, parent]) =>
    orphan(`orphan_${child}_${column}`, child, column, parent, `${child}.${column} points at a ${parent} row that does not exist`),
  ),
  orphan('items_without_order', 'itens_pedido', 'pedido_id', 'pedidos', 'itens_pedido.pedido_id points at an order that does not exist'),

  // --- amounts -----------------------------------------------------------------------------------
  {
    name: 'invalid_item_quantity_or_amount',
    severity: 'blocking',
    description: 'itens_pedido: quantidade <= 0, or a negative preco_unitario, valor_bruto, valor_desconto, valor_liquido or valor_frete',
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(t('itens_pedido'))
        .select(['id', 'pedido_id', 'quantidade', 'preco_unitario', 'valor_liquido'])
        .where((eb) =>
          eb.or([
            eb('quantidade', '<=', 0),
            ...(['preco_unitario', 'valor_bruto', 'valor_desconto', 'valor_liquido', 'valor_frete'] as const).map((c) => eb(c, '<', ZERO)),
          ]),
        ),
  },
  {
    name: 'negative_product_price',
    severity: 'blocking',
    description: 'produtos: negative preco_lista or custo',
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(t('produtos'))
        .select(['id', 'codigo', 'preco_lista'])
        .where((eb) => eb.or([eb('preco_lista', '<', ZERO), eb('custo', '<', ZERO)])),
  },
  {
    name: 'negative_order_amount',
    severity: 'blocking',
    description: 'pedidos: negative valor_produtos, valor_desconto, valor_frete or valor_total',
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(t('pedidos'))
        .select(['id', 'codigo', 'valor_total'])
        .where((eb) => eb.or((['valor_produtos', 'valor_desconto', 'valor_frete', 'valor_total'] as const).map((c) => eb(c, '<', ZERO)))),
  },
  {
    name: 'negative_payment_value',
    severity: 'blocking',
    description: 'pagamentos: negative valor',
    keys: ['id'],
    failingRows: (db) => db.selectFrom(t('pagamentos')).select(['id', 'pedido_id', 'valor']).where('valor', '<', ZERO),
  },
  {
    name: 'order_total_mismatch',
    severity: 'blocking',
    description: 'pedidos.valor_total <> Σ live itens.valor_bruto − Σ live itens.valor_desconto + pedidos.valor_frete (no live items = 0)',
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(`${t('pedidos')} as p`)
        .leftJoin(liveItemSums(db), 'i.pedido_id', 'p.id')
        .select(['p.id as id', 'p.codigo as codigo', 'p.valor_total as valor_total', expectedTotal.as('esperado')])
        .where(sql<SqlBool>`${ref('p.valor_total')} <> ${expectedTotal}`),
  },
  {
    name: 'paid_order_payments_mismatch',
    severity: 'blocking',
    description: `orders with status in (${PAID_STATUSES.join(', ')}) whose Σ pagamentos.valor <> valor_total (no payment = 0)`,
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(`${t('pedidos')} as p`)
        .leftJoin(
          db
            .selectFrom(t('pagamentos'))
            .groupBy('pedido_id')
            .select((eb) => ['pedido_id', eb.fn.sum('valor').as('pago')])
            .as('g'),
          'g.pedido_id',
          'p.id',
        )
        .select((eb) => ['p.id as id', 'p.codigo as codigo', 'p.valor_total as valor_total', eb.fn.coalesce('g.pago', sql.lit(0)).as('pago')])
        .where('p.status', 'in', [...PAID_STATUSES])
        .where((eb) => eb(eb.fn.coalesce('g.pago', sql.lit(0)), '<>', eb.ref('p.valor_total'))),
  },

  // --- timestamps --------------------------------------------------------------------------------
  {
    name: 'updated_before_created',
    severity: 'blocking',
    description: 'rows (any table) whose updated_at is earlier than created_at',
    keys: ['tabela', 'id'],
    failingRows: (db) => everyTable(db, (eb) => eb('updated_at', '<', eb.ref('created_at'))),
  },
  {
    name: 'future_timestamps',
    severity: 'warning',
    description: "rows (any table) whose created_at or updated_at is after the database's clock; the extract window defers them until then",
    keys: ['tabela', 'id'],
    failingRows: (db) => {
      const now = nowUtc(db);
      return everyTable(db, (eb) => eb.or([eb('created_at', '>', now), eb('updated_at', '>', now)]));
    },
  },

  // --- business keys -----------------------------------------------------------------------------
  ...(['clientes', 'vendedores', 'produtos', 'categorias', 'campanhas', 'pedidos'] as const).map((table) => duplicates(table, ['codigo'])),
  duplicates('itens_pedido', ['pedido_id', 'numero_item']),
  duplicates('pagamentos', ['pedido_id', 'sequencial']),
  duplicates('metas', ['vendedor_id', 'mes']),

  // --- warnings: loadable, but worth a look ------------------------------------------------------
  {
    name: 'order_without_live_items',
    severity: 'warning',
    description: 'non-cancelled orders with no live (not soft-deleted) item: no sale will reach fact_vendas',
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(`${t('pedidos')} as p`)
        .select(['p.id as id', 'p.codigo as codigo', 'p.status as status'])
        .where('p.status', '<>', 'cancelado')
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom(`${t('itens_pedido')} as i`)
                .select(sql.lit(1).as('one'))
                .whereRef('i.pedido_id', '=', 'p.id')
                .where('i.deleted_at', 'is', null),
            ),
          ),
        ),
  },
  {
    name: 'item_net_amount_mismatch',
    severity: 'warning',
    description: 'itens_pedido.valor_liquido <> valor_bruto − valor_desconto',
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(t('itens_pedido'))
        .select(['id', 'pedido_id', 'valor_bruto', 'valor_desconto', 'valor_liquido'])
        .where(sql<SqlBool>`${ref('valor_liquido')} <> ${ref('valor_bruto')} - ${ref('valor_desconto')}`),
  },
  {
    name: 'item_gross_amount_mismatch',
    severity: 'warning',
    description: 'itens_pedido.valor_bruto <> quantidade × preco_unitario',
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(t('itens_pedido'))
        .select(['id', 'pedido_id', 'quantidade', 'preco_unitario', 'valor_bruto'])
        .where(sql<SqlBool>`${ref('valor_bruto')} <> ${ref('quantidade')} * ${ref('preco_unitario')}`),
  },
  {
    name: 'order_header_amounts_mismatch',
    severity: 'warning',
    description: 'pedidos.valor_produtos <> Σ live itens.valor_bruto, or pedidos.valor_desconto <> Σ live itens.valor_desconto',
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(`${t('pedidos')} as p`)
        .leftJoin(liveItemSums(db), 'i.pedido_id', 'p.id')
        .select(['p.id as id', 'p.codigo as codigo', 'p.valor_produtos as valor_produtos', 'p.valor_desconto as valor_desconto'])
        .where((eb) =>
          eb.or([
            eb('p.valor_produtos', '<>', eb.fn.coalesce('i.bruto', ZERO_LITERAL)),
            eb('p.valor_desconto', '<>', eb.fn.coalesce('i.desconto', ZERO_LITERAL)),
          ]),
        ),
  },
  {
    name: 'unknown_order_status',
    severity: 'warning',
    description: `pedidos.status outside (${ORDER_STATUSES.join(', ')}): the payment check and the warehouse treat it as unpaid`,
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(t('pedidos'))
        .select(['id', 'codigo', 'status'])
        .where('status', 'not in', [...ORDER_STATUSES]),
  },
  {
    name: 'order_status_without_date',
    severity: 'warning',
    description: 'paid orders without data_aprovacao, delivered (entregue) without data_entrega, cancelled without data_cancelamento',
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(t('pedidos'))
        .select(['id', 'codigo', 'status'])
        .where((eb) =>
          eb.or([
            eb.and([eb('status', 'in', [...PAID_STATUSES]), eb('data_aprovacao', 'is', null)]),
            eb.and([eb('status', '=', 'entregue'), eb('data_entrega', 'is', null)]),
            eb.and([eb('status', '=', 'cancelado'), eb('data_cancelamento', 'is', null)]),
          ]),
        ),
  },
  {
    name: 'order_dates_before_order_date',
    severity: 'warning',
    description: 'pedidos: data_aprovacao, data_envio, data_entrega or data_cancelamento earlier than data_pedido',
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(t('pedidos'))
        .select(['id', 'codigo', 'data_pedido'])
        .where((eb) => eb.or((['data_aprovacao', 'data_envio', 'data_entrega', 'data_cancelamento'] as const).map((c) => eb(c, '<', eb.ref('data_pedido'))))),
  },
  {
    name: 'campaign_ends_before_start',
    severity: 'warning',
    description: 'campanhas.fim earlier than campanhas.inicio',
    keys: ['id'],
    failingRows: (db) => db.selectFrom(t('campanhas')).select(['id', 'codigo']).whereRef('fim', '<', 'inicio'),
  },
  {
    name: 'item_campaign_outside_window',
    severity: 'warning',
    description: "items with a campaign whose order date (pedidos.data_pedido) is outside the campaign's inicio..fim: discount ROI will attribute it anyway",
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(`${t('itens_pedido')} as i`)
        .innerJoin(`${t('pedidos')} as p`, 'p.id', 'i.pedido_id')
        .innerJoin(`${t('campanhas')} as c`, 'c.id', 'i.campanha_id')
        .select(['i.id as id', 'i.pedido_id as pedido_id', 'c.codigo as campanha'])
        .where((eb) => eb.or([eb('p.data_pedido', '<', eb.ref('c.inicio')), eb('p.data_pedido', '>', eb.ref('c.fim'))])),
  },
  {
    name: 'meta_month_not_first_day',
    severity: 'warning',
    description: 'metas.mes is not the first day of a month (fact_metas is monthly)',
    keys: ['id'],
    failingRows: (db) =>
      db
        .selectFrom(t('metas'))
        .select(['id', 'vendedor_id', 'mes'])
        .where(sql<SqlBool>`${dayOfMonth(db, ref('mes'))} <> 1`),
  },
];
