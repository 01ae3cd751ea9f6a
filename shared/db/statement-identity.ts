// A statement's identity: what it does, independent of the SQL dialect it is compiled to.
//
// The golden T-SQL files (sql/generated/statements/) hold the statements the pipeline sends to
// SQL Server, compiled offline; the coverage test runs the pipeline on PGlite and needs to know
// that each statement it saw there has its T-SQL counterpart. The SQL texts differ (TOP vs
// LIMIT, sysutcdatetime() vs now(), cast(... as bit) vs true, @1 vs $1), so the match is made on
// Kysely's operation node instead, which both compilations share:
//
//   <kind> <target>; tables: <tables read or written>; columns: <columns referenced>
//
// - kind: select, insert, update, delete, merge, or raw for a root `sql` template;
// - target: the table written (or the first table read by a select);
// - tables: every schema-qualified table the node names, in order of first appearance;
// - columns: every column referenced anywhere in the node, sorted (aliases are not columns).
// A raw root adds its own text with each embedded expression as `?` (the engine-specific
// fragments live in those embedded expressions, see portable-sql.ts).
// Values, row counts of a VALUES list, operators and the engine-specific fragments do not count,
// so the identity is coarser than the SQL text: two statements that differ only in an operator
// share one identity.
import type { OperationNode, RootOperationNode } from 'kysely';

type AnyNode = OperationNode & Record<string, unknown>;

const isNode = (v: unknown): v is AnyNode => typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';

function tableName(node: AnyNode): string {
  const t = node.table as { schema?: { name: string }; identifier: { name: string } };
  return t.schema ? `${t.schema.name}.${t.identifier.name}` : t.identifier.name;
}

/** Tables and columns referenced anywhere below `node`. */
function collect(node: unknown, tables: string[], columns: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) collect(n, tables, columns);
    return;
  }
  if (!isNode(node)) return;
  if (node.kind === 'TableNode') {
    const name = tableName(node);
    if (!tables.includes(name)) tables.push(name);
    return;
  }
  if (node.kind === 'ColumnNode') {
    columns.add((node.column as { name: string }).name);
    return;
  }
  // `alias.column`: the alias is not a table of its own
  if (node.kind === 'ReferenceNode') return collect(node.column, tables, columns);
  for (const value of Object.values(node)) if (typeof value === 'object') collect(value, tables, columns);
}

const KINDS: Record<string, string> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
  MergeQueryNode: 'merge',
  RawNode: 'raw',
};

/** The table a statement writes: insert/merge into, update, delete from. */
function targetOf(node: AnyNode): unknown {
  switch (node.kind) {
    case 'InsertQueryNode':
    case 'MergeQueryNode':
      return node.into;
    case 'UpdateQueryNode':
      return node.table;
    case 'DeleteQueryNode':
      return (node.from as { froms: unknown[] }).froms[0];
    default:
      return undefined;
  }
}

export function statementIdentity(root: RootOperationNode): string {
  const node = root as unknown as AnyNode;
  const kind = KINDS[node.kind] ?? node.kind;
  const tables: string[] = [];
  const columns = new Set<string>();
  collect(targetOf(node), tables, columns);
  collect(node, tables, columns);
  const parts = [`${kind}${tables[0] ? ` ${tables[0]}` : ''}`];
  if (node.kind === 'RawNode') parts.push(`text: ${(node.sqlFragments as string[]).join('?').replace(/\s+/g, ' ').trim().toLowerCase()}`);
  if (tables.length > 1) parts.push(`tables: ${tables.slice(1).join(', ')}`);
  if (columns.size > 0) parts.push(`columns: ${[...columns].sort().join(', ')}`);
  return parts.join('; ');
}

/** The identity of a bulk load, which runs outside Kysely (COPY, SQL Server bulk copy). */
export const bulkIdentity = (table: { schema: string; name: string; columns: readonly { name: string }[] }) =>
  `bulk ${table.schema}.${table.name}; columns: ${table.columns
    .map((c) => c.name)
    .sort()
    .join(', ')}`;
