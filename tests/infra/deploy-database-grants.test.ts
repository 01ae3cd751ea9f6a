// The app identity's database rights (infra/hooks/app-database-user.sql) are exactly what the
// pipeline uses at run time, checked against the T-SQL it sends (sql/generated/statements/, kept
// current by tests/unit/pipeline-tsql.test.ts), the fact tables whose foreign keys a bulk load may
// suspend (FACT_FOREIGN_KEYS: the golden run does not take the bulk path for every one of them) and
// the warehouse DDL (sql/generated/dw.mssql.sql):
//   - every table the app TRUNCATEs, ALTERs or bulk-copies into is covered by an ALTER grant
//     (on its schema or on the table), and every object granted exists;
//   - reads and writes come from db_datareader and db_datawriter;
//   - nothing broader: no db_owner, db_ddladmin, CONTROL, CREATE or ALTER on the database.
// No SQL Server can run here: this proves the grants match the statements, not that Azure SQL
// accepts them (the hook runs them on every `azd provision`). Each rule also runs on a broken
// script to show that it fails.
import { readdirSync } from 'node:fs';
import { FACT_FOREIGN_KEYS } from '../../shared/pipeline/facts/foreign-keys.js';
import { readText, repoFile } from './infra-files.js';

interface Grants {
  roles: string[];
  /** schemas with ALTER */
  alterSchemas: string[];
  /** schema.table with ALTER */
  alterObjects: string[];
  /** every other permission statement, as written */
  other: string[];
  createsUserIdempotently: boolean;
}

function readGrants(script: string): Grants {
  const sql = script.replace(/--[^\n]*/g, '');
  const grants: Grants = { roles: [], alterSchemas: [], alterObjects: [], other: [], createsUserIdempotently: false };
  for (const match of sql.matchAll(/ALTER\s+ROLE\s+\[?(\w+)\]?\s+ADD\s+MEMBER/gi)) grants.roles.push((match[1] ?? '').toLowerCase());
  for (const match of sql.matchAll(/GRANT\s+([\w\s,]+?)\s+ON\s+(SCHEMA|OBJECT)::\[?(\w+)\]?(?:\.\[?(\w+)\]?)?\s+TO/gi)) {
    const [, permission = '', kind = '', first = '', second] = match;
    const target = kind.toUpperCase() === 'SCHEMA' ? first.toLowerCase() : `${first}.${second ?? ''}`.toLowerCase();
    if (permission.trim().toUpperCase() !== 'ALTER') grants.other.push(`GRANT ${permission.trim()} ON ${kind}::${target}`);
    else if (kind.toUpperCase() === 'SCHEMA') grants.alterSchemas.push(target);
    else grants.alterObjects.push(target);
  }
  for (const match of sql.matchAll(/GRANT\s+([\w\s,]+?)\s+TO\b/gi)) {
    if (!/\bON\b/i.test(match[0])) grants.other.push(`GRANT ${(match[1] ?? '').trim()} (database-wide)`);
  }
  grants.createsUserIdempotently = /IF\s+NOT\s+EXISTS\s*\(\s*SELECT[^)]*sys\.database_principals/i.test(sql) && /CREATE\s+USER/i.test(sql);
  return grants;
}

/** Tables whose statements need ALTER: TRUNCATE TABLE, ALTER TABLE, and SQL Server bulk copy. */
function tablesNeedingAlter(statements: string): string[] {
  const tables = [
    ...statements.matchAll(/\btruncate\s+table\s+"(\w+)"\."(\w+)"/gi),
    ...statements.matchAll(/\balter\s+table\s+"(\w+)"\."(\w+)"/gi),
    ...statements.matchAll(/--\s*bulk copy into\s+\[(\w+)\]\.\[(\w+)\]/gi),
  ].map((match) => `${match[1]}.${match[2]}`.toLowerCase());
  return [...new Set(tables)].sort();
}

/** Schemas and tables the warehouse migrations create. */
function warehouseObjects(ddl: string): { schemas: string[]; tables: string[] } {
  return {
    schemas: [...ddl.matchAll(/\bcreate\s+schema\s+"(\w+)"/gi)].map((match) => (match[1] ?? '').toLowerCase()),
    tables: [...ddl.matchAll(/\bcreate\s+table\s+"(\w+)"\."(\w+)"/gi)].map((match) => `${match[1]}.${match[2]}`.toLowerCase()),
  };
}

const BROAD_ROLES = ['db_owner', 'db_ddladmin', 'db_securityadmin', 'db_accessadmin', 'db_backupoperator'];

function grantProblems(grants: Grants, needed: string[], objects: { schemas: string[]; tables: string[] }): string[] {
  const problems: string[] = [];
  if (!grants.createsUserIdempotently) problems.push('the database user is not created with IF NOT EXISTS');
  for (const role of ['db_datareader', 'db_datawriter']) if (!grants.roles.includes(role)) problems.push(`not a member of ${role}`);
  for (const role of grants.roles.filter((r) => BROAD_ROLES.includes(r))) problems.push(`member of ${role}: broader than the app needs`);
  for (const statement of grants.other) problems.push(`${statement}: broader than the app needs`);
  for (const table of needed) {
    const schema = table.split('.')[0] ?? '';
    if (!grants.alterSchemas.includes(schema) && !grants.alterObjects.includes(table))
      problems.push(`${table}: the app truncates, alters or bulk-loads it without ALTER`);
  }
  for (const schema of grants.alterSchemas)
    if (!objects.schemas.includes(schema)) problems.push(`ALTER on schema ${schema}, which the migrations do not create`);
  for (const table of grants.alterObjects) if (!objects.tables.includes(table)) problems.push(`ALTER on ${table}, which the migrations do not create`);
  for (const schema of grants.alterSchemas) {
    if (!needed.some((table) => table.startsWith(`${schema}.`))) problems.push(`ALTER on schema ${schema}, which no statement needs`);
  }
  for (const table of grants.alterObjects) if (!needed.includes(table)) problems.push(`ALTER on ${table}, which no statement needs`);
  return problems;
}

/** The tables the app needs ALTER on: those of the golden statements, and every fact table a bulk load may suspend the keys of. */
const neededByTheApp = (statementsText: string): string[] => [...new Set([...tablesNeedingAlter(statementsText), ...Object.keys(FACT_FOREIGN_KEYS)])].sort();

const statements = () =>
  readdirSync(repoFile('sql', 'generated', 'statements'))
    .filter((file) => file.endsWith('.mssql.sql'))
    .map((file) => readText(repoFile('sql', 'generated', 'statements', file)))
    .join('\n');
const script = () => readText(repoFile('infra', 'hooks', 'app-database-user.sql'));
const ddl = () => readText(repoFile('sql', 'generated', 'dw.mssql.sql'));

describe("the app identity's database rights (infra/hooks/app-database-user.sql)", () => {
  it('finds the statements that need ALTER: staging truncates and bulk loads, the work tables, the fact tables whose keys a bulk load suspends', () => {
    const needed = tablesNeedingAlter(statements());
    expect(needed).toEqual(expect.arrayContaining(['stg.pedidos', 'stg.itens_pedido', 'work.venda', 'work.affected_order', 'dw.fact_vendas']));
  });

  it('grants exactly what those statements need, on objects that exist', () => {
    expect(grantProblems(readGrants(script()), neededByTheApp(statements()), warehouseObjects(ddl()))).toEqual([]);
  });

  it('grants ALTER on the staging and work schemas and on the three fact tables only', () => {
    const grants = readGrants(script());
    expect(grants.alterSchemas.sort()).toEqual(['stg', 'work']);
    expect(grants.alterObjects.sort()).toEqual(['dw.fact_descontos', 'dw.fact_metas', 'dw.fact_vendas']);
    expect(grants.roles.sort()).toEqual(['db_datareader', 'db_datawriter']);
  });
});

describe('the grant rules report what is wrong (each check can fail)', () => {
  const objects = { schemas: ['dw', 'stg', 'work'], tables: ['dw.fact_vendas', 'stg.pedidos', 'work.venda'] };
  const needed = ['dw.fact_vendas', 'stg.pedidos', 'work.venda'];

  it('a missing ALTER, a grant on an object that does not exist, an unneeded one, no idempotent user, a broad role', () => {
    const broken = [
      'CREATE USER [id-app] FROM EXTERNAL PROVIDER;',
      'ALTER ROLE db_datareader ADD MEMBER [id-app];',
      'ALTER ROLE db_owner ADD MEMBER [id-app];',
      'GRANT ALTER ON SCHEMA::stg TO [id-app];',
      'GRANT ALTER ON SCHEMA::dw TO [id-app];',
      'GRANT ALTER ON OBJECT::dw.fact_nope TO [id-app];',
      'GRANT EXECUTE ON SCHEMA::etl TO [id-app];',
      'GRANT CREATE TABLE TO [id-app];',
    ].join('\n');
    expect(grantProblems(readGrants(broken), needed, objects)).toEqual([
      'the database user is not created with IF NOT EXISTS',
      'not a member of db_datawriter',
      'member of db_owner: broader than the app needs',
      'GRANT EXECUTE ON SCHEMA::etl: broader than the app needs',
      'GRANT CREATE TABLE (database-wide): broader than the app needs',
      'work.venda: the app truncates, alters or bulk-loads it without ALTER',
      'ALTER on dw.fact_nope, which the migrations do not create',
      'ALTER on dw.fact_nope, which no statement needs',
    ]);
  });

  it('a new statement that truncates a table in a schema nobody granted', () => {
    const grants = readGrants(script());
    const more = neededByTheApp(statements() + '\ntruncate table "ods"."pedidos"\n');
    expect(grantProblems(grants, more, warehouseObjects(ddl()))).toEqual(['ods.pedidos: the app truncates, alters or bulk-loads it without ALTER']);
  });
});
