// Column lists of the OLTP tables (sql/migrations/oltp) for the bulk paths: seed, import.
// Order matters: rows passed to Database.bulkInsert are positional in this order.
import type { ColumnSpec, TableSpec } from '../db/database.js';
import type { NamesIn, OltpTables } from '../db/schema/index.js';

const id: ColumnSpec = { name: 'id', kind: 'bigint', nullable: false };
const stamps: ColumnSpec[] = [
  { name: 'created_at', kind: 'timestamp', nullable: false },
  { name: 'updated_at', kind: 'timestamp', nullable: false },
];
const text = (name: string, length: number, nullable = false): ColumnSpec => ({ name, kind: 'text', length, nullable });
const money = (name: string, nullable = false): ColumnSpec => ({ name, kind: 'decimal', precision: 19, scale: 4, nullable });
const rate = (name: string): ColumnSpec => ({ name, kind: 'decimal', precision: 7, scale: 4, nullable: true });
const ref = (name: string, nullable = false): ColumnSpec => ({ name, kind: 'bigint', nullable });
const ts = (name: string, nullable = true): ColumnSpec => ({ name, kind: 'timestamp', nullable });
const int = (name: string, nullable = false): ColumnSpec => ({ name, kind: 'int', nullable });
const bool = (name: string): ColumnSpec => ({ name, kind: 'bool', nullable: false });

const table = (name: string, columns: ColumnSpec[]): TableSpec => ({ schema: 'oltp', name, columns: [id, ...columns, ...stamps] });

export const OLTP = {
  categorias: table('categorias', [text('codigo', 120), text('nome', 120), ref('categoria_pai_id', true)]),
  vendedores: table('vendedores', [
    text('codigo', 64),
    text('nome', 160),
    text('cidade', 100),
    text('estado', 60),
    text('cep_prefixo', 10, true),
    bool('ativo'),
  ]),
  clientes: table('clientes', [
    text('codigo', 64),
    text('nome', 160),
    text('email', 200, true),
    text('segmento', 40),
    text('cidade', 100),
    text('estado', 60),
    text('regiao', 40, true),
    text('cep_prefixo', 10, true),
    bool('ativo'),
  ]),
  produtos: table('produtos', [
    text('codigo', 64),
    text('nome', 255),
    ref('categoria_id'),
    money('preco_lista'),
    money('custo', true),
    int('peso_g', true),
    bool('ativo'),
  ]),
  campanhas: table('campanhas', [
    text('codigo', 40),
    text('nome', 160),
    text('tipo', 20),
    rate('percentual'),
    money('valor_cupom', true),
    ts('inicio', false),
    ts('fim', false),
    money('custo'),
    bool('ativa'),
  ]),
  pedidos: table('pedidos', [
    text('codigo', 64),
    ref('cliente_id'),
    text('status', 20),
    ts('data_pedido', false),
    ts('data_aprovacao'),
    ts('data_envio'),
    ts('data_entrega'),
    ts('data_entrega_prevista'),
    ts('data_cancelamento'),
    text('cidade_entrega', 100, true),
    text('estado_entrega', 60, true),
    text('modo_envio', 40, true),
    ref('campanha_id', true),
    money('valor_produtos'),
    money('valor_desconto'),
    money('valor_frete'),
    money('valor_total'),
  ]),
  itens_pedido: table('itens_pedido', [
    ref('pedido_id'),
    int('numero_item'),
    ref('produto_id'),
    ref('vendedor_id'),
    ref('campanha_id', true),
    int('quantidade'),
    money('preco_unitario'),
    money('valor_bruto'),
    rate('percentual_desconto'),
    money('valor_desconto'),
    money('valor_liquido'),
    money('valor_frete'),
    money('custo_total', true),
    ts('deleted_at'),
  ]),
  pagamentos: table('pagamentos', [ref('pedido_id'), int('sequencial'), text('tipo', 30), int('parcelas'), money('valor')]),
  metas: table('metas', [ref('vendedor_id'), { name: 'mes', kind: 'date', nullable: false }, money('valor_meta'), int('quantidade_meta', true)]),
} as const satisfies Record<NamesIn<OltpTables, 'oltp'>, TableSpec>; // exactly the tables of the schema

export type OltpTable = keyof typeof OLTP;
/** Parents before children: the order to load and to count. */
export const OLTP_TABLES = Object.keys(OLTP) as OltpTable[];

/** Order statuses. An order is "paid" once approved: its payments must add up to its total. */
export const ORDER_STATUSES = ['criado', 'aprovado', 'faturado', 'enviado', 'entregue', 'cancelado'] as const;
export const PAID_STATUSES = ['aprovado', 'faturado', 'enviado', 'entregue'] as const;
